/// A definition encodes as the `network` object of a config file, every key written (defaults
/// too), so that `NetworkDefinition(from:)` reads it back equal. Checkpoints record their
/// network this way (`Checkpoint.Manifest.network`).
extension NetworkDefinition: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var keys = encoder.container(keyedBy: CodingKeys.self)
        try keys.encode(input, forKey: .input)
        try keys.encode(layers, forKey: .layers)
        try keys.encode(loss.rawValue, forKey: .loss)
        try keys.encode(weightScale, forKey: .weightScale)
    }
}

/// A layer encodes as its layer object of a config file: `type` and every key of that type.
extension LayerSpec: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var keys = encoder.container(keyedBy: CodingKeys.self)
        try keys.encode(typeName, forKey: .type)
        switch self {
        case let .affine(units):
            try keys.encode(units, forKey: .units)
        case .relu:
            break
        case let .convolution(filters, size, stride, pad):
            try keys.encode(filters, forKey: .filters)
            try keys.encode(size, forKey: .size)
            try keys.encode(stride, forKey: .stride)
            try keys.encode(pad, forKey: .pad)
        case let .maxPool(size, stride):
            try keys.encode(size, forKey: .size)
            try keys.encode(stride, forKey: .stride)
        case let .batchNorm(epsilon, momentum), let .spatialBatchNorm(epsilon, momentum):
            try keys.encode(epsilon, forKey: .eps)
            try keys.encode(momentum, forKey: .momentum)
        case let .layerNorm(epsilon):
            try keys.encode(epsilon, forKey: .eps)
        case let .groupNorm(groups, epsilon):
            try keys.encode(groups, forKey: .groups)
            try keys.encode(epsilon, forKey: .eps)
        case let .dropout(keep):
            try keys.encode(keep, forKey: .keep)
        }
    }
}
