import Tessel

/// The value of one workload setting: an input shape or a layer parameter.
public enum BenchmarkValue: Sendable, Equatable, CustomStringConvertible {
    /// A tensor shape, outermost dimension first.
    case shape([Int])
    /// An integer parameter (a stride, a padding, a group count, a pooling window).
    case integer(Int)
    /// A real parameter (dropout's keep probability).
    case real(Double)

    /// `(512, 3072)` for a shape, the number otherwise.
    public var description: String {
        switch self {
        case let .shape(dimensions): Shape.describe(dimensions)
        case let .integer(value): "\(value)"
        case let .real(value): "\(value)"
        }
    }
}
