import Tessel

/// The settings a workload is prepared with: one value for each of its parameters.
public struct BenchmarkValues: Sendable, Equatable, CustomStringConvertible {
    /// The values by parameter name.
    public private(set) var values: [String: BenchmarkValue]
    /// Parameter names in the workload's order, for descriptions.
    public let order: [String]

    init(values: [String: BenchmarkValue], order: [String]) {
        self.values = values
        self.order = order
    }

    /// The value of `name`. Traps when the workload has no such parameter (a programming error).
    public subscript(name: String) -> BenchmarkValue {
        get {
            guard let value = values[name] else { preconditionFailure("workload has no parameter '\(name)'") }
            return value
        }
        set {
            precondition(values[name] != nil, "workload has no parameter '\(name)'")
            values[name] = newValue
        }
    }

    /// The shape `name`. Traps when it is not a shape (a programming error).
    public func shape(_ name: String) -> [Int] {
        guard case let .shape(dimensions) = self[name] else { preconditionFailure("'\(name)' is not a shape") }
        return dimensions
    }

    /// The integer `name`. Traps when it is not an integer (a programming error).
    public func integer(_ name: String) -> Int {
        guard case let .integer(value) = self[name] else { preconditionFailure("'\(name)' is not an integer") }
        return value
    }

    /// The real number `name`. Traps when it is not a real (a programming error).
    public func real(_ name: String) -> Double {
        guard case let .real(value) = self[name] else { preconditionFailure("'\(name)' is not a real number") }
        return value
    }

    /// `x (512, 3072), w (3072, 1024)`: every value in parameter order.
    public var description: String {
        order.map { "\($0) \(self[$0])" }.joined(separator: ", ")
    }
}
