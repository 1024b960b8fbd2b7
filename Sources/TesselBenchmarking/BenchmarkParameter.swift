import Tessel

/// One setting of a `LayerBenchmark` that a shapes file may override: an input shape or a
/// layer parameter, with its standard value (the standard shapes) and a small value
/// (for serial references and quick runs).
public struct BenchmarkParameter: Sendable {
    /// What values the setting accepts.
    public enum Kind: Sendable, Equatable {
        /// A shape of exactly `rank` dimensions, each at least 1.
        case shape(rank: Int)
        /// An integer of at least `minimum`.
        case integer(minimum: Int)
        /// A probability in (0, 1].
        case probability
    }

    /// The key in a shapes file (`x`, `w`, `stride`, `p`, …).
    public let name: String
    /// What values the setting accepts.
    public let kind: Kind
    /// The value at the standard shape.
    public let standard: BenchmarkValue
    /// The value at the small shape.
    public let small: BenchmarkValue

    /// A setting; `standard` and `small` must be values of `kind` (checked when built).
    public init(_ name: String, _ kind: Kind, standard: BenchmarkValue, small: BenchmarkValue) {
        self.name = name
        self.kind = kind
        self.standard = standard
        self.small = small
        precondition(kind.accepts(standard) == nil && kind.accepts(small) == nil,
                     "workload parameter '\(name)': a preset value is not a \(kind.expectation)")
    }
}

extension BenchmarkParameter.Kind {
    /// What a value of this kind looks like, in words, for error messages.
    public var expectation: String {
        switch self {
        case let .shape(rank): "shape of rank \(rank) (an array of \(rank) integers, each at least 1)"
        case let .integer(minimum): "integer of at least \(minimum)"
        case .probability: "number in (0, 1]"
        }
    }

    /// Nil when `value` is a valid value of this kind, else what is wrong with it.
    public func accepts(_ value: BenchmarkValue) -> String? {
        switch (self, value) {
        case let (.shape(rank), .shape(dimensions)):
            guard dimensions.count == rank, dimensions.allSatisfy({ $0 >= 1 }), (try? Shape.elementCount(dimensions)) != nil else {
                return "expected a \(expectation), got \(value)"
            }
            return nil
        case let (.integer(minimum), .integer(integer)):
            return integer >= minimum ? nil : "expected an \(expectation), got \(integer)"
        case let (.probability, .real(real)):
            return real > 0 && real <= 1 ? nil : "expected a \(expectation), got \(real)"
        default:
            return "expected a \(expectation), got \(value)"
        }
    }
}
