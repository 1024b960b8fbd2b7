import Tessel

/// What a forward call keeps for its backward (CS231n's `cache`): the copied inputs and
/// parameters, or the layer's own `Cache` with the normalization statistics.
enum ForwardCache<T: TesselScalar>: Sendable {
    case affine(x: Tensor<T>, w: Tensor<T>, b: Tensor<T>)
    case relu(x: Tensor<T>)
    case batchNorm(BatchNorm.Cache<T>)
    case layerNorm(LayerNorm.Cache<T>)
    case dropout(mask: Tensor<T>?, parameters: Dropout.Parameters)
    case convolution(x: Tensor<T>, w: Tensor<T>, b: Tensor<T>, parameters: Convolution.Parameters)
    case maxPool(x: Tensor<T>, parameters: MaxPool.Parameters)
    case spatialBatchNorm(SpatialBatchNorm.Cache<T>)
    case groupNorm(GroupNorm.Cache<T>)

    /// The layer whose forward made the cache, for messages.
    var layer: String {
        switch self {
        case .affine: Affine.name
        case .relu: ReLU.name
        case .batchNorm: BatchNorm.name
        case .layerNorm: LayerNorm.name
        case .dropout: Dropout.name
        case .convolution: Convolution.name
        case .maxPool: MaxPool.name
        case .spatialBatchNorm: SpatialBatchNorm.name
        case .groupNorm: GroupNorm.name
        }
    }

    /// The error for a cache passed to another layer's backward.
    func mismatch(expected layer: String) -> TesselError {
        .invalidParameter(component: layer, parameter: "cache", value: "a \(self.layer) cache",
                          reason: "expected the cache of a \(layer) forward call")
    }
}
