import Tessel

/// The `--param NAME=VALUE` values of one `tessel op` call, read with CS231n's defaults.
/// Every accessor throws a `TesselError.invalidParameter` naming the layer and the key.
public struct OpParameters: Sendable {
    public let layer: String
    private let values: [String: String]

    /// Parses `NAME=VALUE` pairs and rejects duplicates and keys the layer does not take.
    public init(_ pairs: [String], layer: OpLayer) throws {
        self.layer = layer.rawValue
        var values: [String: String] = [:]
        for pair in pairs {
            let (name, value) = try splitAssignment(pair, option: "--param")
            guard layer.parameters.contains(name) else {
                let allowed = layer.parameters.isEmpty ? "none" : layer.parameters.joined(separator: ", ")
                throw TesselError.invalidParameter(component: layer.rawValue, parameter: name, value: value,
                                                   reason: "unknown parameter (this layer takes: \(allowed))")
            }
            guard values[name] == nil else {
                throw TesselError.invalidParameter(component: layer.rawValue, parameter: name, value: value, reason: "given twice")
            }
            values[name] = value
        }
        self.values = values
    }

    public func int(_ name: String, default fallback: Int? = nil) throws -> Int {
        guard let text = values[name] else { return try missing(name, fallback) }
        guard let value = Int(text) else { throw bad(name, text, "not an integer") }
        return value
    }

    public func double(_ name: String, default fallback: Double? = nil) throws -> Double {
        guard let text = values[name] else { return try missing(name, fallback) }
        guard let value = Double(text) else { throw bad(name, text, "not a number") }
        return value
    }

    public func mode(_ name: String = "mode") throws -> Mode {
        guard let text = values[name] else { return try missing(name, nil) }
        guard let mode = Mode(rawValue: text) else { throw bad(name, text, "must be 'train' or 'test'") }
        return mode
    }

    public func optionalSeed(_ name: String = "seed") throws -> UInt64? {
        guard let text = values[name] else { return nil }
        guard let value = UInt64(text) else { throw bad(name, text, "not a non-negative integer") }
        return value
    }

    private func missing<V>(_ name: String, _ fallback: V?) throws -> V {
        guard let fallback else {
            throw TesselError.invalidParameter(component: layer, parameter: name, value: "(missing)", reason: "required; pass --param \(name)=VALUE")
        }
        return fallback
    }

    private func bad(_ name: String, _ text: String, _ reason: String) -> TesselError {
        .invalidParameter(component: layer, parameter: name, value: "'\(text)'", reason: reason)
    }
}

/// Splits `NAME=VALUE`; the name must be non-empty.
public func splitAssignment(_ text: String, option: String) throws -> (String, String) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
        throw TesselError.invalidParameter(component: "tessel op", parameter: option, value: "'\(text)'", reason: "expected NAME=VALUE")
    }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
}
