/// The losses' part of the registry: each loss's call on a backend and its `tessel op` operation
/// (its benchmarks are in TesselBenchmarking's `LossBenchmarks.swift`).
extension LossFunction {
    /// The layer that computes this loss, by its name on the command line.
    package var layerName: String {
        switch self {
        case .softmax: SoftmaxLoss.name
        case .svm: SVMLoss.name
        }
    }

    /// The mean loss of `x` (N, C) for labels `y` and its gradient.
    /// - Throws: the loss layer's `TesselError`s.
    package func compute<T: TesselScalar>(x: Tensor<T>, y: [Int], backend: Backend) throws -> LossOutput<T> {
        switch (self, backend) {
        case let (.softmax, .tiled(s)): try SoftmaxLoss.compute(x: x, y: y, scheduler: s)
        case (.softmax, .reference): try SoftmaxLoss.Reference.compute(x: x, y: y)
        case let (.svm, .tiled(s)): try SVMLoss.compute(x: x, y: y, scheduler: s)
        case (.svm, .reference): try SVMLoss.Reference.compute(x: x, y: y)
        }
    }

    /// `tessel op svm_loss` and `softmax_loss`: loss and dx.
    static var operations: [LayerOperation] {
        [LossFunction.svm, .softmax].map {
            LayerOperation(name: $0.layerName, forwardInputs: ["x", "y"], isLoss: true, evaluator: Operation(loss: $0))
        }
    }

    struct Operation: OperationEvaluator {
        let loss: LossFunction

        func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
            let x = try call.tensor("x"), y = try call.arguments.labels("y")
            let result = try loss.compute(x: x, y: y, backend: call.backend)
            return [("loss", try Tensor(shape: [], scalars: [result.loss])), ("dx", result.dx)]
        }
    }
}
