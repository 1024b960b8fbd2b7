/// `avgpool`: average pooling over `size`×`size` windows moved by `stride`; a window as large
/// as the input's height and width is global average pooling.
package struct AveragePoolKind: PoolingKind {
    package var size: Int
    package var stride: Int

    package static let typeName = AveragePool.name
    package static var operations: [LayerOperation] {
        [LayerOperation(name: AveragePool.name, forwardInputs: ["x"], parameters: operationParameters, evaluator: Operation())]
    }

    package init(size: Int, stride: Int) {
        (self.size, self.stride) = (size, stride)
    }

    package static func layerOutputShape(x: [Int], window: PoolingWindow) throws -> [Int] {
        try AveragePool.outputShape(x: x, parameters: window)
    }

    /// The forward saves only the input's shape: the backward does not read x.
    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        (try Self.forward(x, window, backend: backend), .state(x.shape))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        (try Self.backward(dout, inputShape: record.state(as: [Int].self), window, backend: backend), [])
    }

    @_specialize(exported: true, where T == Float)
    package static func forward<T: TesselScalar>(_ x: Tensor<T>, _ parameters: AveragePool.Parameters, backend: Backend) throws -> Tensor<T> {
        switch backend {
        case let .tiled(s): try AveragePool.forward(x: x, parameters: parameters, scheduler: s)
        case .reference: try AveragePool.Reference.forward(x: x, parameters: parameters)
        }
    }

    @_specialize(exported: true, where T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, inputShape: [Int], _ parameters: AveragePool.Parameters,
                                          backend: Backend) throws -> Tensor<T> {
        switch backend {
        case let .tiled(s): try AveragePool.backward(dout: dout, inputShape: inputShape, parameters: parameters, scheduler: s)
        case .reference: try AveragePool.Reference.backward(dout: dout, inputShape: inputShape, parameters: parameters)
        }
    }

    /// `tessel op avgpool` (`pool_height`, `pool_width`, `stride`): out, or dx (x gives its shape).
    struct Operation: OperationEvaluator {
        func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
            let x = try call.tensor("x"), parameters = try window(call)
            guard call.isBackward else { return [("out", try forward(x, parameters, backend: call.backend))] }
            return [("dx", try backward(try call.dout(), inputShape: x.shape, parameters, backend: call.backend))]
        }
    }
}

extension LayerSpec {
    /// Average pooling over `size`×`size` windows moved by `stride` (global average pooling
    /// when `size` is the input's height and width).
    public static func averagePool(size: Int, stride: Int) -> LayerSpec { LayerSpec(AveragePoolKind(size: size, stride: stride)) }
}
