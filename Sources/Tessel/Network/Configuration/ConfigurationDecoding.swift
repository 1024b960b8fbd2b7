/// Range-checked values for config files: a value out of range is a `DecodingError` at its
/// key, so that the error names the file and the dotted key like any other config error.
extension KeyedDecodingContainer {
    /// The integer at `key`, at least `minimum`; an absent key gives `fallback`, or is an
    /// error when `fallback` is nil.
    func integer(_ key: Key, default fallback: Int? = nil, atLeast minimum: Int) throws -> Int {
        guard contains(key) else {
            if let fallback { return fallback }
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "required key is missing"))
        }
        let value = try integer(key, default: 0)
        guard value >= minimum else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "must be at least \(minimum), got \(value)")
        }
        return value
    }

    /// The number at `key`, for which `valid` holds (`requirement` says what that means);
    /// an absent key gives `fallback`, or is an error when `fallback` is nil.
    func number(_ key: Key, default fallback: Double?, _ requirement: String, where valid: (Double) -> Bool) throws -> Double {
        guard contains(key) else {
            if let fallback { return fallback }
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "required key is missing"))
        }
        let value = try decode(Double.self, forKey: key)
        guard valid(value) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(requirement), got \(value)")
        }
        return value
    }
}
