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

extension LayerSpec {
    /// Batch normalization of each channel of NCHW input.
    public static func spatialBatchNorm(epsilon: Double, momentum: Double) -> LayerSpec {
        LayerSpec(SpatialBatchNormKind(epsilon: epsilon, momentum: momentum))
    }
}
