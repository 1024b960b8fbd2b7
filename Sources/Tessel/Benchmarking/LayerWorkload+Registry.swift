extension LayerWorkload {
    /// Every workload, in the order a CS231n network meets its layers.
    public static let all: [LayerWorkload] = [
        .affine, .relu, .batchNorm, .layerNorm, .dropout, .convolution3x3, .convolution7x7, .maxPool,
        .spatialBatchNorm, .groupNorm, .softmaxLoss, .svmLoss,
    ]

    /// The workload called `name`, or nil.
    public static func named(_ name: String) -> LayerWorkload? {
        all.first { $0.name == name }
    }
}
