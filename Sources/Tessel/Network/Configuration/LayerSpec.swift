/// One layer of a network as a config file or Swift code describes it: its kind and its
/// hyperparameters (the weights are made by `Network`).
///
/// In a config file each layer is an object with a `type` and that type's keys only:
///
/// | `type` | keys (default) |
/// |---|---|
/// | `affine` | `units` |
/// | `relu` | — |
/// | `conv` | `filters`, `size`, `stride` (1), `pad` (0) |
/// | `maxpool` | `size`, `stride` (= `size`) |
/// | `batchnorm`, `spatial_batchnorm` | `eps` (1e-5), `momentum` (0.9) |
/// | `layernorm` | `eps` (1e-5) |
/// | `groupnorm` | `groups`, `eps` (1e-5) |
/// | `dropout` | `keep` |
public enum LayerSpec: Sendable, Equatable {
    /// Fully connected: the input flattened to (N, D) times weights (D, `units`) plus a bias.
    case affine(units: Int)
    /// max(0, x), element-wise.
    case relu
    /// `filters` filters of `size`×`size` over NCHW input, with `stride` and zero padding `pad`.
    case convolution(filters: Int, size: Int, stride: Int, pad: Int)
    /// Max pooling over `size`×`size` windows moved by `stride`.
    case maxPool(size: Int, stride: Int)
    /// Batch normalization over (N, D) input; `momentum` weighs the old running statistics.
    case batchNorm(epsilon: Double, momentum: Double)
    /// Batch normalization of each channel of NCHW input.
    case spatialBatchNorm(epsilon: Double, momentum: Double)
    /// Layer normalization over the features of (N, D) input.
    case layerNorm(epsilon: Double)
    /// Group normalization of NCHW input in `groups` groups of channels.
    case groupNorm(groups: Int, epsilon: Double)
    /// Inverted dropout keeping each activation with probability `keep` (CS231n's `p`).
    case dropout(keep: Double)

    /// The `type` of this layer in a config file.
    public var typeName: String { Kind(self).rawValue }

    /// The layer types of a config file, with the keys each accepts besides `type`.
    enum Kind: String, CaseIterable {
        case affine, relu, conv, maxPool = "maxpool", batchnorm, spatialBatchnorm = "spatial_batchnorm"
        case layernorm, groupnorm, dropout

        init(_ spec: LayerSpec) {
            switch spec {
            case .affine: self = .affine
            case .relu: self = .relu
            case .convolution: self = .conv
            case .maxPool: self = .maxPool
            case .batchNorm: self = .batchnorm
            case .spatialBatchNorm: self = .spatialBatchnorm
            case .layerNorm: self = .layernorm
            case .groupNorm: self = .groupnorm
            case .dropout: self = .dropout
            }
        }

        var keys: [LayerSpec.CodingKeys] {
            switch self {
            case .affine: [.units]
            case .relu: []
            case .conv: [.filters, .size, .stride, .pad]
            case .maxPool: [.size, .stride]
            case .batchnorm, .spatialBatchnorm: [.eps, .momentum]
            case .layernorm: [.eps]
            case .groupnorm: [.groups, .eps]
            case .dropout: [.keep]
            }
        }
    }
}

extension LayerSpec: Decodable {
    /// Every key a layer object may hold; which ones a layer accepts depends on its `type`.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, units, filters, size, stride, pad, eps, momentum, groups, keep
    }

    /// Decodes one layer object of a config file.
    /// - Throws: `DecodingError` at the offending key for an unknown `type`, a key that the
    ///   type does not take, a missing required key, or a value out of range (counts and sizes
    ///   ≥ 1, `pad` ≥ 0, `eps` > 0, `momentum` in [0, 1], `keep` in (0, 1]).
    public init(from decoder: any Decoder) throws {
        let keys = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let type = try keys.decode(String.self, forKey: .type)
        guard let kind = Kind(rawValue: type) else {
            let known = Kind.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(forKey: .type, in: keys, debugDescription: "unknown layer type '\(type)' (expected one of \(known))")
        }
        if let stray = keys.allKeys.filter({ $0 != .type && !kind.keys.contains($0) }).min(by: { $0.stringValue < $1.stringValue }) {
            let accepted = kind.keys.isEmpty ? "it takes no other key" : "it takes " + kind.keys.map { "'\($0.stringValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(forKey: stray, in: keys, debugDescription: "not a key of a '\(type)' layer (\(accepted))")
        }
        let epsilon = { try keys.number(.eps, default: 1e-5, "must be positive and finite") { $0 > 0 && $0.isFinite } }
        let momentum = { try keys.number(.momentum, default: 0.9, "must lie in [0, 1]") { (0...1).contains($0) } }
        switch kind {
        case .affine:
            self = .affine(units: try keys.integer(.units, atLeast: 1))
        case .relu:
            self = .relu
        case .conv:
            self = .convolution(filters: try keys.integer(.filters, atLeast: 1), size: try keys.integer(.size, atLeast: 1),
                                stride: try keys.integer(.stride, default: 1, atLeast: 1), pad: try keys.integer(.pad, default: 0, atLeast: 0))
        case .maxPool:
            let size = try keys.integer(.size, atLeast: 1)
            self = .maxPool(size: size, stride: try keys.integer(.stride, default: size, atLeast: 1))
        case .batchnorm:
            self = .batchNorm(epsilon: try epsilon(), momentum: try momentum())
        case .spatialBatchnorm:
            self = .spatialBatchNorm(epsilon: try epsilon(), momentum: try momentum())
        case .layernorm:
            self = .layerNorm(epsilon: try epsilon())
        case .groupnorm:
            self = .groupNorm(groups: try keys.integer(.groups, atLeast: 1), epsilon: try epsilon())
        case .dropout:
            self = .dropout(keep: try keys.number(.keep, default: nil, "must lie in (0, 1]") { $0 > 0 && $0 <= 1 })
        }
    }
}
