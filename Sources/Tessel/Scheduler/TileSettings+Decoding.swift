extension TileSettings {
    /// The keys of the `tiles` object of a settings file.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case elementsPerTile, gemmRowBlock, gemmColumnBlock, streamingOutputBytes
    }

    /// Decodes the `tiles` object of a settings file: a missing key keeps its default, an
    /// unknown key or a value that is not an integer is a `DecodingError` at that key. Values
    /// below 1 are rejected by `RuntimeSettings`, which names the file.
    public init(from decoder: any Decoder) throws {
        let keys = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let defaults = TileSettings()
        self.init(elementsPerTile: try keys.integer(.elementsPerTile, default: defaults.elementsPerTile),
                  gemmRowBlock: try keys.integer(.gemmRowBlock, default: defaults.gemmRowBlock),
                  gemmColumnBlock: try keys.integer(.gemmColumnBlock, default: defaults.gemmColumnBlock),
                  streamingOutputBytes: try keys.integer(.streamingOutputBytes, default: defaults.streamingOutputBytes))
    }

    /// Checks that every tile size is at least 1; `key` is where these settings sit in the file.
    /// - Throws: `TesselError.configuration(source: source, key: "<key>.<name>", …)` at the first bad size.
    func validate(source: String, key: String) throws {
        let sizes: [(CodingKeys, Int)] = [(.elementsPerTile, elementsPerTile), (.gemmRowBlock, gemmRowBlock),
                                          (.gemmColumnBlock, gemmColumnBlock), (.streamingOutputBytes, streamingOutputBytes)]
        for (name, size) in sizes where size < 1 {
            throw TesselError.configuration(source: source, key: key + "." + name.stringValue, reason: "must be at least 1, got \(size)")
        }
    }
}
