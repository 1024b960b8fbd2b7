/// `maxpool`: max pooling over `size`×`size` windows moved by `stride`.
package struct MaxPoolKind: LayerKind {
    package var size: Int
    package var stride: Int

    package static let typeName = MaxPool.name
    package static let configKeys = ["size", "stride"].map { LayerConfigKey($0) }
    package static let exampleRank: Int? = 3
    package static var operations: [LayerOperation] {
        [LayerOperation(name: MaxPool.name, forwardInputs: ["x"], parameters: ["pool_height", "pool_width", "stride"], evaluator: Operation())]
    }
    package static var workloads: [LayerWorkload] { [.maxPool] }

    package init(size: Int, stride: Int) {
        (self.size, self.stride) = (size, stride)
    }

    /// `size`, and `stride` (default: `size`).
    package init(config: KeyedDecodingContainer<LayerConfigKey>) throws {
        let size = try config.integer(LayerConfigKey("size"), atLeast: 1)
        self.init(size: size, stride: try config.integer(LayerConfigKey("stride"), default: size, atLeast: 1))
    }

    package func encode(config: inout KeyedEncodingContainer<LayerConfigKey>) throws {
        for (key, value) in zip(Self.configKeys, [size, stride]) { try config.encode(value, forKey: key) }
    }

    var layerParameters: MaxPool.Parameters { MaxPool.Parameters(poolHeight: size, poolWidth: size, stride: stride) }

    package func outputShape(input: [Int]) throws -> [Int] {
        do {
            return Array(try MaxPool.outputShape(x: [1] + input, parameters: layerParameters).dropFirst())
        } catch let TesselError.invalidParameter(layer, "poolHeight", value, reason), let TesselError.invalidParameter(layer, "poolWidth", value, reason) {
            // The window's height and width are this kind's `size`.
            throw TesselError.invalidParameter(layer: layer, parameter: "size", value: value, reason: reason)
        }
    }

    /// k² comparisons per output each way.
    package func flops(input: [Int], inputElements: Double, outputElements: Double) -> (forward: Double, backward: Double) {
        (outputElements * Double(size * size), outputElements * Double(size * size))
    }

    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        (try Self.forward(x, layerParameters, backend: backend), .input(x))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        (try Self.backward(dout, x: record.input(), layerParameters, backend: backend), [])
    }

    static func forward<T: TesselScalar>(_ x: Tensor<T>, _ parameters: MaxPool.Parameters, backend: Backend) throws -> Tensor<T> {
        switch backend {
        case let .tiled(s): try MaxPool.forward(x: x, parameters: parameters, scheduler: s)
        case .reference: try MaxPool.Reference.forward(x: x, parameters: parameters)
        }
    }

    static func backward<T: TesselScalar>(_ dout: Tensor<T>, x: Tensor<T>, _ parameters: MaxPool.Parameters, backend: Backend) throws -> Tensor<T> {
        switch backend {
        case let .tiled(s): try MaxPool.backward(dout: dout, x: x, parameters: parameters, scheduler: s)
        case .reference: try MaxPool.Reference.backward(dout: dout, x: x, parameters: parameters)
        }
    }

    /// `tessel op maxpool` (`pool_height`, `pool_width`, `stride`): out, or dx.
    struct Operation: OperationEvaluator {
        func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
            let x = try call.tensor("x")
            let parameters = MaxPool.Parameters(poolHeight: try call.arguments.int("pool_height", default: nil),
                                                poolWidth: try call.arguments.int("pool_width", default: nil),
                                                stride: try call.arguments.int("stride", default: nil))
            guard call.isBackward else { return [("out", try forward(x, parameters, backend: call.backend))] }
            return [("dx", try backward(try call.dout(), x: x, parameters, backend: call.backend))]
        }
    }
}

extension LayerSpec {
    /// Max pooling over `size`×`size` windows moved by `stride`.
    public static func maxPool(size: Int, stride: Int) -> LayerSpec { LayerSpec(MaxPoolKind(size: size, stride: stride)) }
}
