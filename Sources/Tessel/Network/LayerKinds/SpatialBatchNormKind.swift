/// `spatial_batchnorm`: batch normalization of each channel of NCHW input.
package struct SpatialBatchNormKind: BatchNormalizationKind {
    package typealias Layer = SpatialBatchNorm

    package var epsilon: Double
    package var momentum: Double

    package static let exampleRank: Int? = 3

    package init(epsilon: Double, momentum: Double) {
        (self.epsilon, self.momentum) = (epsilon, momentum)
    }
}

extension SpatialBatchNormKind: PoolFusingNormalization {
    package func normalizePooling<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, mean: [Double], inverseStd: [Double],
                                                   window: PoolingWindow, scheduler: Scheduler) throws -> (Tensor<T>, LayerRecord<T>) {
        let out = try SpatialBatchNorm.normalizePooling(x, mean: mean, inverseStd: inverseStd, gamma: gamma, beta: beta, window: window,
                                                        scheduler: scheduler)
        return (out, .state(try BatchNorm.Cache(x: x, gamma: gamma, mean: mean, inverseStd: inverseStd, mode: .train)))
    }

    package func gradientSums<T: TesselScalar>(pooledDout: Tensor<T>, window: PoolingWindow, beta: Tensor<T>, record: LayerRecord<T>,
                                               sums: UnsafeMutablePointer<Double>, scheduler: Scheduler) throws {
        try SpatialBatchNorm.gradientSums(pooledDout: pooledDout, window: window, beta: beta, cache: record.state(as: BatchNorm.Cache<T>.self),
                                          sums: sums, scheduler: scheduler)
    }

    package func gradients<T: TesselScalar>(pooledDout: Tensor<T>, window: PoolingWindow, beta: Tensor<T>, record: LayerRecord<T>,
                                            count: Int, sums: [Double], scheduler: Scheduler) throws -> NormalizationGradients<T> {
        try SpatialBatchNorm.gradients(pooledDout: pooledDout, window: window, beta: beta, cache: record.state(as: BatchNorm.Cache<T>.self),
                                       count: count, sums: sums, scheduler: scheduler)
    }
}

extension LayerSpec {
    /// Batch normalization of each channel of NCHW input.
    public static func spatialBatchNorm(epsilon: Double, momentum: Double) -> LayerSpec {
        LayerSpec(SpatialBatchNormKind(epsilon: epsilon, momentum: momentum))
    }
}
