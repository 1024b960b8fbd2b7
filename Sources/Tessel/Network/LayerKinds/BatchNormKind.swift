/// `batchnorm`: batch normalization over (N, D) input; `momentum` weighs the old running statistics.
package struct BatchNormKind: BatchNormalizationKind {
    package typealias Layer = BatchNorm

    package var epsilon: Double
    package var momentum: Double

    package static let exampleRank: Int? = 1

    /// `tessel op batchnorm` and `batchnorm_alt`, whose backward is the simplified one.
    package static var operations: [LayerOperation] { [BatchNorm.name, alternativeOperation].map(operation(named:)) }

    /// The name of the `tessel op` operation with the simplified backward (`backwardAlt`).
    static let alternativeOperation = BatchNorm.name + "_alt"

    package init(epsilon: Double, momentum: Double) {
        (self.epsilon, self.momentum) = (epsilon, momentum)
    }

    package static func operationBackward<T: TesselScalar>(_ dout: Tensor<T>, cache: BatchNorm.Cache<T>, operation: String,
                                                           backend: Backend) throws -> NormalizationGradients<T> {
        guard operation == alternativeOperation else { return try backward(dout, cache: cache, backend: backend) }
        switch backend {
        case let .tiled(s): return try BatchNorm.backwardAlt(dout: dout, cache: cache, scheduler: s)
        case .reference: return try BatchNorm.Reference.backwardAlt(dout: dout, cache: cache)
        }
    }
}

extension LayerSpec {
    /// Batch normalization over (N, D) input; `momentum` weighs the old running statistics.
    public static func batchNorm(epsilon: Double, momentum: Double) -> LayerSpec {
        LayerSpec(BatchNormKind(epsilon: epsilon, momentum: momentum))
    }
}
