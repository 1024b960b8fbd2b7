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
/// | `avgpool` | `size`, `stride` (= `size`) |
/// | `batchnorm`, `spatial_batchnorm` | `eps` (1e-5), `momentum` (0.9) |
/// | `layernorm` | `eps` (1e-5) |
/// | `groupnorm` | `groups`, `eps` (1e-5) |
/// | `dropout` | `keep` |
///
/// Each type is a `LayerKind` (`Network/LayerKinds/`), found by its `type` in `LayerKinds.all`.
public struct LayerSpec: Sendable, Equatable {
    /// The layer's kind and hyperparameters.
    package let kind: any LayerKind

    package init(_ kind: any LayerKind) {
        self.kind = kind
    }

    /// The `type` of this layer in a config file.
    public var typeName: String { type(of: kind).typeName }

    public static func == (a: LayerSpec, b: LayerSpec) -> Bool {
        a.kind.isEqual(to: b.kind)
    }
}

extension LayerSpec: Decodable {
    /// Decodes one layer object of a config file.
    /// - Throws: `DecodingError` at the offending key for an unknown `type`, a key that the
    ///   type does not take, a missing required key, or a value out of range (counts and sizes
    ///   ≥ 1, `pad` ≥ 0, `eps` > 0, `momentum` in [0, 1], `keep` in (0, 1]).
    public init(from decoder: any Decoder) throws {
        let keys = try decoder.strictContainer(keyedBy: LayerConfigKey.self)
        let type = try keys.decode(String.self, forKey: .type)
        guard let kind = LayerKinds.named(type) else {
            let known = LayerKinds.all.map { "'\($0.typeName)'" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(forKey: .type, in: keys, debugDescription: "unknown layer type '\(type)' (expected one of \(known))")
        }
        if let stray = keys.allKeys.filter({ $0 != .type && !kind.configKeys.contains($0) }).min(by: { $0.stringValue < $1.stringValue }) {
            let accepted = kind.configKeys.isEmpty ? "it takes no other key" : "it takes " + kind.configKeys.map { "'\($0.stringValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(forKey: stray, in: keys, debugDescription: "not a key of a '\(type)' layer (\(accepted))")
        }
        self.init(try kind.init(config: keys))
    }
}

/// A layer encodes as its layer object of a config file: `type` and every key of that type.
extension LayerSpec: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var keys = encoder.container(keyedBy: LayerConfigKey.self)
        try keys.encode(typeName, forKey: .type)
        try kind.encode(config: &keys)
    }
}

extension KeyedDecodingContainer where Key == LayerConfigKey {
    /// `eps`, positive and finite (default 1e-5): the norms' key.
    func epsilon() throws -> Double {
        try number(LayerConfigKey("eps"), default: 1e-5, "must be positive and finite") { $0 > 0 && $0.isFinite }
    }

    /// `momentum`, in [0, 1] (default 0.9): the batch norms' key.
    func momentum() throws -> Double {
        try number(LayerConfigKey("momentum"), default: 0.9, "must lie in [0, 1]") { (0...1).contains($0) }
    }
}
