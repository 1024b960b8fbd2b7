/// Every error Tessel throws. Each message names the component (a layer, the network, the
/// optimizer, the allocator, the scheduler, a command, …) or the file, the argument and the
/// offending shapes or values, so that a user can fix the call from the message alone.
public enum TesselError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An argument of `component` has the wrong shape or rank. `expected` describes what it needs.
    case shapeMismatch(component: String, argument: String, expected: String, actual: [Int])
    /// A parameter value of `component` is out of its domain (stride ≤ 0, p outside (0, 1], G not
    /// dividing C, an unknown NUMA node, …).
    case invalidParameter(component: String, parameter: String, value: String, reason: String)
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
        case let .shapeMismatch(component, argument, expected, actual):
            return "\(component): argument '\(argument)' has shape \(Shape.describe(actual)), expected \(expected)"
        case let .invalidParameter(component, parameter, value, reason):
            return "\(component): parameter '\(parameter)' = \(value) is invalid: \(reason)"
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
