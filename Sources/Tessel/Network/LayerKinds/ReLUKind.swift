/// `relu`: max(0, x), element-wise.
package struct ReLUKind: LayerKind {
    package static let typeName = ReLU.name
    package static let configKeys: [LayerConfigKey] = []
    package static var operations: [LayerOperation] {
        [LayerOperation(name: ReLU.name, forwardInputs: ["x"], evaluator: Operation())]
    }

    package init() {}

    package init(config: KeyedDecodingContainer<LayerConfigKey>) throws {}

    package func encode(config: inout KeyedEncodingContainer<LayerConfigKey>) throws {}

    package func outputShape(input: [Int]) throws -> [Int] { input }

    /// One operation per element each way.
    package func flops(input: [Int], inputElements: Double, outputElements: Double) -> (forward: Double, backward: Double) {
        (inputElements, inputElements)
    }

    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        (try Self.forward(x, backend: backend), .input(x))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        (try Self.backward(dout, x: record.input(), backend: backend), [])
    }

    @_specialize(exported: true, where T == Float)
    package static func forward<T: TesselScalar>(_ x: Tensor<T>, backend: Backend) throws -> Tensor<T> {
        switch backend {
        case let .tiled(s): try ReLU.forward(x, scheduler: s)
        case .reference: try ReLU.Reference.forward(x)
        }
    }

    @_specialize(exported: true, where T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, x: Tensor<T>, backend: Backend) throws -> Tensor<T> {
        switch backend {
        case let .tiled(s): try ReLU.backward(dout: dout, x: x, scheduler: s)
        case .reference: try ReLU.Reference.backward(dout: dout, x: x)
        }
    }

    /// `tessel op relu`: out, or dx.
    struct Operation: OperationEvaluator {
        func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
            let x = try call.tensor("x")
            guard call.isBackward else { return [("out", try forward(x, backend: call.backend))] }
            return [("dx", try backward(try call.dout(), x: x, backend: call.backend))]
        }
    }
}

extension LayerSpec {
    /// max(0, x), element-wise.
    public static let relu = LayerSpec(ReLUKind())
}
