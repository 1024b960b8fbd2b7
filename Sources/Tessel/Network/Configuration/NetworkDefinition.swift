/// What a network is, without its weights: the shape of one example, the layers in order,
/// the loss, and the scale of the initial weights.
///
/// In a config file this is the `network` object:
/// `{ "input": [3, 32, 32], "layers": [ … ], "loss": "softmax", "weightScale": 0.001 }`.
public struct NetworkDefinition: Sendable, Equatable {
    /// The shape of one example, without the batch dimension: (C, H, W) for images, (D,) for vectors.
    public var input: [Int]
    /// The layers, input first.
    public var layers: [LayerSpec]
    /// The loss over the last layer's output, which must be (N, classes).
    public var loss: LossFunction
    /// Standard deviation of the initial weights (CS231n's `weight_scale`; > 0).
    public var weightScale: Double

    /// A definition with these values; `validate` checks that the layers fit together.
    public init(input: [Int], layers: [LayerSpec], loss: LossFunction = .softmax, weightScale: Double = 1e-3) {
        self.input = input
        self.layers = layers
        self.loss = loss
        self.weightScale = weightScale
    }

    /// The shape of one example after each layer (`layers.count` shapes, without the batch
    /// dimension); the last is (classes,).
    /// - Throws: `TesselError.invalidParameter` with `layer` = `layers[i] (type)` when layer
    ///   `i` refuses its parameters or the shape it receives, as the layer itself checks them
    ///   (`LayerKind.outputShape`: a count, size or stride below 1, a negative pad, an `eps`
    ///   that is not positive and finite, a window larger than its input, groups that do not
    ///   divide the channels, …) or gets an example of the wrong rank (a flat-input norm after
    ///   images); with `layer` = `network` for an empty layer list, an input dimension
    ///   below 1, a `weightScale` that is not positive, or a last shape that is not (classes,).
    public func shapes() throws -> [[Int]] {
        do {
            return try inferShapes()
        } catch {
            let layer = error.index.map { "layers[\($0)] (\(layers[$0].typeName))" } ?? "network"
            throw TesselError.invalidParameter(component: layer, parameter: error.parameter, value: error.value, reason: error.reason)
        }
    }

    /// The number of classes: the width of the last layer's output.
    /// - Throws: as `shapes()`.
    public func classes() throws -> Int { try shapes().last![0] }

    /// Why a definition does not fit together: at layer `index`, or in the network as a whole.
    struct Misfit: Error {
        let index: Int?
        let parameter: String
        let value: String
        let reason: String
    }

    func inferShapes() throws(Misfit) -> [[Int]] {
        guard !input.isEmpty, input.allSatisfy({ $0 >= 1 }) else {
            throw Misfit(index: nil, parameter: "input", value: Shape.describe(input), reason: "every dimension must be at least 1")
        }
        guard weightScale > 0, weightScale.isFinite else {
            throw Misfit(index: nil, parameter: "weightScale", value: "\(weightScale)", reason: "must be positive and finite")
        }
        guard !layers.isEmpty else {
            throw Misfit(index: nil, parameter: "layers", value: "[]", reason: "a network needs at least one layer")
        }
        var shape = input
        var shapes: [[Int]] = []
        for (index, layer) in layers.enumerated() {
            shape = try Self.outputShape(of: layer, input: shape, index: index)
            shapes.append(shape)
        }
        guard shape.count == 1 else {
            throw Misfit(index: nil, parameter: "layers", value: "last output \(Shape.describe(shape))",
                         reason: "the \(loss.rawValue) loss needs class scores (N, C): end with an affine layer")
        }
        return shapes
    }

    /// The shape of one example after `layer`: the example must have the rank the layer's
    /// kind takes, and the layer's own validation decides the rest.
    private static func outputShape(of layer: LayerSpec, input shape: [Int], index: Int) throws(Misfit) -> [Int] {
        let kind = type(of: layer.kind)
        switch kind.exampleRank {
        case 3 where shape.count != 3:
            throw Misfit(index: index, parameter: "input", value: Shape.describe(shape), reason: "needs images (C, H, W) per example")
        case 1 where shape.count != 1:
            throw Misfit(index: index, parameter: "input", value: Shape.describe(shape),
                         reason: "needs vectors (D,) per example: put an affine layer before it")
        default:
            break
        }
        do {
            return try layer.kind.outputShape(input: shape)
        } catch let TesselError.invalidParameter(_, parameter, value, reason) {
            throw Misfit(index: index, parameter: parameter, value: value, reason: reason)
        } catch let TesselError.shapeMismatch(_, argument, expected, actual) {
            throw Misfit(index: index, parameter: argument, value: Shape.describe(actual), reason: "expected \(expected)")
        } catch {
            throw Misfit(index: index, parameter: "input", value: Shape.describe(shape), reason: "\(error)")
        }
    }
}

extension NetworkDefinition: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case input, layers, loss, weightScale
    }

    /// Decodes the `network` object of a config file and checks that its layers fit together.
    /// - Throws: `DecodingError` at the offending key: `input` (required, integers ≥ 1),
    ///   `layers` (required; each as `LayerSpec`; a layer that cannot take its input shape is
    ///   an error at `layers[i]`), `loss` (`softmax` or `svm`, default `softmax`),
    ///   `weightScale` (> 0, default 1e-3).
    public init(from decoder: any Decoder) throws {
        let keys = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let dimensions = try keys.decode([Double].self, forKey: .input)
        let input = dimensions.compactMap { Int(exactly: $0) }
        guard input.count == dimensions.count, !input.isEmpty, input.allSatisfy({ $0 >= 1 }) else {
            throw DecodingError.dataCorruptedError(forKey: .input, in: keys, debugDescription: "must be a non-empty list of integers ≥ 1, got \(dimensions)")
        }
        let lossName = try keys.value(.loss, default: LossFunction.softmax.rawValue)
        guard let loss = LossFunction(rawValue: lossName) else {
            let known = LossFunction.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(forKey: .loss, in: keys, debugDescription: "unknown loss '\(lossName)' (expected one of \(known))")
        }
        self.init(input: input, layers: try keys.decode([LayerSpec].self, forKey: .layers), loss: loss,
                  weightScale: try keys.number(.weightScale, default: 1e-3, "must be positive and finite") { $0 > 0 && $0.isFinite })
        do {
            _ = try inferShapes()
        } catch {
            let path = keys.codingPath + [CodingKeys.layers] + (error.index.map { [AnyCodingKey(intValue: $0)] } ?? [])
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "\(error.parameter) = \(error.value): \(error.reason)"))
        }
    }
}
