/// `maxpool`: max pooling over `size`×`size` windows moved by `stride`.
package struct MaxPoolKind: PoolingKind {
    package var size: Int
    package var stride: Int

    package static let typeName = MaxPool.name
    package static var operations: [LayerOperation] {
        [LayerOperation(name: MaxPool.name, forwardInputs: ["x"], parameters: operationParameters, evaluator: Operation())]
    }

    package init(size: Int, stride: Int) {
        (self.size, self.stride) = (size, stride)
    }

    package static func layerOutputShape(x: [Int], window: PoolingWindow) throws -> [Int] {
        try MaxPool.outputShape(x: x, parameters: window)
    }

    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        (try Self.forward(x, window, backend: backend), .input(x))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        (try Self.backward(dout, x: record.input(), window, backend: backend), [])
    }

    @_specialize(exported: true, where T == Float)
    package static func forward<T: TesselScalar>(_ x: Tensor<T>, _ parameters: MaxPool.Parameters, backend: Backend) throws -> Tensor<T> {
        switch backend {
        case let .tiled(s): try MaxPool.forward(x: x, parameters: parameters, scheduler: s)
        case .reference: try MaxPool.Reference.forward(x: x, parameters: parameters)
        }
    }

    @_specialize(exported: true, where T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, x: Tensor<T>, _ parameters: MaxPool.Parameters, backend: Backend) throws -> Tensor<T> {
        switch backend {
        case let .tiled(s): try MaxPool.backward(dout: dout, x: x, parameters: parameters, scheduler: s)
        case .reference: try MaxPool.Reference.backward(dout: dout, x: x, parameters: parameters)
        }
    }

    /// `tessel op maxpool` (`pool_height`, `pool_width`, `stride`): out, or dx.
    struct Operation: OperationEvaluator {
        func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
            let x = try call.tensor("x"), parameters = try window(call)
            guard call.isBackward else { return [("out", try forward(x, parameters, backend: call.backend))] }
            return [("dx", try backward(try call.dout(), x: x, parameters, backend: call.backend))]
        }
    }
}

extension LayerSpec {
    /// Max pooling over `size`×`size` windows moved by `stride`.
    public static func maxPool(size: Int, stride: Int) -> LayerSpec { LayerSpec(MaxPoolKind(size: size, stride: stride)) }
}
