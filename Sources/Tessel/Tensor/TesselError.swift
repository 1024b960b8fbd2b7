/// Every error Tessel throws. Each message names the layer or file, the argument and the
/// offending shapes or values, so that a user can fix the call from the message alone.
public enum TesselError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An argument has the wrong shape or rank. `expected` describes what the layer needs.
    case shapeMismatch(layer: String, argument: String, expected: String, actual: [Int])
    /// A parameter value is out of its domain (stride ≤ 0, p outside (0, 1], G not dividing C, …).
    case invalidParameter(layer: String, parameter: String, value: String, reason: String)
    /// A tensor shape is itself invalid: a negative dimension, or an element count that overflows `Int`.
    case invalidShape(shape: [Int], reason: String)
    /// A `.npy` file could not be read or written.
    case npy(path: String, reason: String)
    /// A configuration file or setting is wrong.
    case configuration(source: String, key: String, reason: String)
    /// The system refused an allocation.
    case outOfMemory(bytes: Int, policy: String, reason: String)
    /// A system call failed (file I/O, affinity, locking memory).
    case system(operation: String, reason: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(layer, argument, expected, actual):
            return "\(layer): argument '\(argument)' has shape \(Shape.describe(actual)), expected \(expected)"
        case let .invalidParameter(layer, parameter, value, reason):
            return "\(layer): parameter '\(parameter)' = \(value) is invalid: \(reason)"
        case let .invalidShape(shape, reason):
            return "invalid shape \(Shape.describe(shape)): \(reason)"
        case let .npy(path, reason):
            return "\(path): \(reason)"
        case let .configuration(source, key, reason):
            return "\(source): key '\(key)': \(reason)"
        case let .outOfMemory(bytes, policy, reason):
            return "out of memory: could not allocate \(bytes) bytes with policy \(policy): \(reason)"
        case let .system(operation, reason):
            return "\(operation) failed: \(reason)"
        }
    }
}
