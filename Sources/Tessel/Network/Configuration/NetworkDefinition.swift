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
    /// - Throws: `TesselError.invalidParameter` with `layer` = `layers[i] (type)` when a
    ///   parameter of layer `i` is out of its domain (a count, size or stride below 1, a
    ///   negative pad, an `eps` that is not positive and finite, a momentum outside [0, 1], a
    ///   keep probability outside (0, 1]; NaN is never in a domain) or the layer cannot take
    ///   the shape it receives (a convolution or pooling window larger than its input,
    ///   a flat-input norm after images, groups that do not divide the channels, …); with `layer` = `network` for an empty layer list, an input dimension
    ///   below 1, a `weightScale` that is not positive, or a last shape that is not (classes,).
    public func shapes() throws -> [[Int]] {
        do {
            return try inferShapes()
        } catch {
            let layer = error.index.map { "layers[\($0)] (\(layers[$0].typeName))" } ?? "network"
            throw TesselError.invalidParameter(layer: layer, parameter: error.parameter, value: error.value, reason: error.reason)
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

    private static func outputShape(of layer: LayerSpec, input shape: [Int], index: Int) throws(Misfit) -> [Int] {
        func failure(_ parameter: String, _ value: String, _ reason: String) -> Misfit {
            Misfit(index: index, parameter: parameter, value: value, reason: reason)
        }
        func requireImages() throws(Misfit) -> (channels: Int, height: Int, width: Int) {
            guard shape.count == 3 else {
                throw failure("input", Shape.describe(shape), "needs images (C, H, W) per example")
            }
            return (shape[0], shape[1], shape[2])
        }
        func requireVectors() throws(Misfit) {
            guard shape.count == 1 else {
                throw failure("input", Shape.describe(shape), "needs vectors (D,) per example: put an affine layer before it")
            }
        }
        /// Requires `value` to be at least `minimum` (a count, a size, a stride).
        func require(_ parameter: String, _ value: Int, atLeast minimum: Int) throws(Misfit) {
            guard value >= minimum else { throw failure(parameter, "\(value)", "must be at least \(minimum)") }
        }
        /// Requires `valid(value)` (`requirement` says what that means); NaN never passes.
        func require(_ parameter: String, _ value: Double, _ requirement: String, _ valid: (Double) -> Bool) throws(Misfit) {
            guard valid(value) else { throw failure(parameter, "\(value)", requirement) }
        }
        func requireEpsilon(_ epsilon: Double) throws(Misfit) {
            try require("eps", epsilon, "must be positive and finite") { $0 > 0 && $0.isFinite }
        }
        /// `extent + 2·pad`, or a misfit when it overflows.
        func padded(_ extent: Int, _ pad: Int) throws(Misfit) -> Int {
            let (twice, overflow) = pad.multipliedReportingOverflow(by: 2)
            let (sum, sumOverflow) = extent.addingReportingOverflow(twice)
            guard !overflow, !sumOverflow else { throw failure("pad", "\(pad)", "the padded extent \(extent) + 2·pad overflows Int") }
            return sum
        }
        /// Output extent of a window of `size` moved by `stride` over `extent` (after padding),
        /// rounded down as PyTorch does: positions past the last whole window are left out.
        func windows(_ extent: Int, size: Int, stride: Int) throws(Misfit) -> Int {
            guard extent >= size else {
                throw failure("size", "\(size)", "the window is larger than the extent \(extent) it slides over")
            }
            return 1 + (extent - size) / stride
        }
        switch layer {
        case let .affine(units):
            try require("units", units, atLeast: 1)
            return [units]
        case .relu:
            return shape
        case let .dropout(keep):
            try require("keep", keep, "must lie in (0, 1]") { $0 > 0 && $0 <= 1 }
            return shape
        case let .convolution(filters, size, stride, pad):
            try require("filters", filters, atLeast: 1)
            try require("size", size, atLeast: 1)
            try require("stride", stride, atLeast: 1)
            try require("pad", pad, atLeast: 0)
            let (_, height, width) = try requireImages()
            return [filters, try windows(try padded(height, pad), size: size, stride: stride),
                    try windows(try padded(width, pad), size: size, stride: stride)]
        case let .maxPool(size, stride):
            try require("size", size, atLeast: 1)
            try require("stride", stride, atLeast: 1)
            let (channels, height, width) = try requireImages()
            return [channels, try windows(height, size: size, stride: stride), try windows(width, size: size, stride: stride)]
        case let .batchNorm(epsilon, momentum):
            try requireEpsilon(epsilon)
            try require("momentum", momentum, "must lie in [0, 1]") { (0...1).contains($0) }
            try requireVectors()
            return shape
        case let .layerNorm(epsilon):
            try requireEpsilon(epsilon)
            try requireVectors()
            return shape
        case let .spatialBatchNorm(epsilon, momentum):
            try requireEpsilon(epsilon)
            try require("momentum", momentum, "must lie in [0, 1]") { (0...1).contains($0) }
            _ = try requireImages()
            return shape
        case let .groupNorm(groups, epsilon):
            try require("groups", groups, atLeast: 1)
            try requireEpsilon(epsilon)
            let (channels, _, _) = try requireImages()
            guard channels % groups == 0 else {
                throw failure("groups", "\(groups)", "must divide the \(channels) channels")
            }
            return shape
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
