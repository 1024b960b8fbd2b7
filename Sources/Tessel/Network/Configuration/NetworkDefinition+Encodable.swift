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
