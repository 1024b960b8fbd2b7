import Tessel

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Workload settings read from a JSON shapes file, overriding the standard shapes:
///
/// ```json
/// { "affine": { "x": [256, 3072], "w": [3072, 512] },
///   "conv_3x3": { "x": [16, 64, 56, 56] },
///   "dropout": { "p": 0.8 } }
/// ```
///
/// Top-level keys are workload names, inner keys their parameters (`LayerBenchmark.parameters`);
/// every key is optional and a missing one keeps the standard value. An unknown key, a value of
/// the wrong kind or out of range is an error naming the file and the dotted key
/// (`shapes.json: key 'affine.x': expected a shape of rank 2 …`), as for `RuntimeSettings`.
public struct BenchmarkShapes: Sendable, Equatable {
    /// The file (or other source) the settings came from, for error messages.
    public let source: String
    /// The values given, by workload name and parameter name.
    public let overrides: [String: [String: BenchmarkValue]]

    /// Settings that override nothing: every workload at its standard shape.
    public static let standard = BenchmarkShapes(source: "standard shapes", overrides: [:])

    /// Settings from `source` with the given overrides (not checked; `decode` checks).
    public init(source: String, overrides: [String: [String: BenchmarkValue]]) {
        self.source = source
        self.overrides = overrides
    }

    /// Reads the JSON shapes file at `path`.
    /// - Throws: `TesselError.system` when the file cannot be read; otherwise as `decode`.
    public static func load(from path: String) throws -> BenchmarkShapes {
        try decode(FileBytes.read(from: path), source: path)
    }

    /// Decodes a shapes file from its bytes; `source` names it in errors.
    /// - Throws: `TesselError.configuration(source: source, key:, reason:)` where `key` is the
    ///   dotted path of the offending key (`affine.x`), for an unknown workload or parameter or
    ///   a value of the wrong kind or out of range; `(document)` when the file is not valid
    ///   JSON or not a JSON object.
    public static func decode(_ bytes: [UInt8], source: String) throws -> BenchmarkShapes {
        do {
            let document = try JSONDecoder().decode(Document.self, from: Data(bytes))
            return BenchmarkShapes(source: source, overrides: document.overrides)
        } catch let error as DecodingError {
            throw TesselError.configuration(source: source, key: error.dottedKey, reason: error.reason(in: bytes))
        }
    }

    /// The standard values of `workload` with this file's overrides applied.
    public func values(for workload: LayerBenchmark) -> BenchmarkValues {
        var values = workload.values(.standard)
        for (name, value) in overrides[workload.name] ?? [:] { values[name] = value }
        return values
    }

    /// Prepares `workload` at `values(for:)`.
    /// - Throws: when the values the file gives do not fit together, the layer's error as
    ///   `TesselError.configuration(source:, key: workload.name, reason:)`; otherwise as
    ///   `LayerBenchmark.prepare`.
    public func prepare(_ workload: LayerBenchmark) throws -> PreparedBenchmark {
        do {
            return try workload.prepare(values(for: workload))
        } catch let error as TesselError where overrides[workload.name] != nil {
            if case .outOfMemory = error { throw error }
            throw TesselError.configuration(source: source, key: workload.name, reason: error.description)
        }
    }

    /// The JSON document: an object of workload objects.
    private struct Document: Decodable {
        let overrides: [String: [String: BenchmarkValue]]

        init(from decoder: any Decoder) throws {
            let layers = try decoder.objectContainer()
            var overrides: [String: [String: BenchmarkValue]] = [:]
            for key in layers.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                guard let workload = LayerBenchmark.named(key.stringValue) else {
                    let expected = LayerBenchmark.all.map { "'\($0.name)'" }.joined(separator: ", ")
                    throw DecodingError.dataCorruptedError(forKey: key, in: layers,
                                                           debugDescription: "unknown workload (expected one of \(expected))")
                }
                let settings = try layers.superDecoder(forKey: key).objectContainer()
                var values: [String: BenchmarkValue] = [:]
                for name in settings.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                    guard let parameter = workload.parameter(named: name.stringValue) else {
                        let expected = workload.parameters.map { "'\($0.name)'" }.joined(separator: ", ")
                        throw DecodingError.dataCorruptedError(forKey: name, in: settings,
                                                               debugDescription: "unknown key (expected one of \(expected))")
                    }
                    values[parameter.name] = try settings.workloadValue(name, kind: parameter.kind)
                }
                overrides[workload.name] = values
            }
            self.overrides = overrides
        }
    }
}

extension Decoder {
    /// A container over whatever keys the JSON object holds; a `DecodingError.dataCorrupted`
    /// naming what was found when the value is not an object.
    fileprivate func objectContainer() throws -> KeyedDecodingContainer<AnyCodingKey> {
        do {
            return try container(keyedBy: AnyCodingKey.self)
        } catch DecodingError.typeMismatch {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath,
                                                    debugDescription: "expected an object, found \(valueDescription())"))
        }
    }
}

extension KeyedDecodingContainer<AnyCodingKey> {
    /// The value at `key` as a value of `kind`, range-checked.
    fileprivate func workloadValue(_ key: AnyCodingKey, kind: BenchmarkParameter.Kind) throws -> BenchmarkValue {
        let value: BenchmarkValue?
        switch kind {
        case .shape:
            let numbers = try? decode([Double].self, forKey: key)
            let dimensions = numbers?.compactMap { Int(exactly: $0) }
            value = dimensions.flatMap { $0.count == numbers?.count ? .shape($0) : nil }
        case .integer:
            value = (try? decode(Double.self, forKey: key)).flatMap { Int(exactly: $0) }.map { .integer($0) }
        case .probability:
            value = (try? decode(Double.self, forKey: key)).map { .real($0) }
        }
        guard let value else {
            let found = if case .shape = kind, (try? decode([Double].self, forKey: key)) != nil {
                "an array holding a number that is not an integer"
            } else {
                (try? superDecoder(forKey: key).valueDescription()) ?? "a value of unknown kind"
            }
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "expected a \(kind.expectation), found \(found)")
        }
        if let problem = kind.accepts(value) {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: problem)
        }
        return value
    }
}
