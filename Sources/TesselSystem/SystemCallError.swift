#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: what was being done (`write 'out/x.npy'`) and the system's reason
/// (`No space left on device`). The library turns it into `TesselError.system` with the same
/// two texts.
package struct SystemCallError: Error, Equatable, CustomStringConvertible {
    /// What was being done, naming the path.
    package let operation: String
    /// Why it failed: the text of `errno`, or a sentence.
    package let reason: String

    package init(operation: String, reason: String) {
        (self.operation, self.reason) = (operation, reason)
    }

    /// The error for `operation` carrying the text of the current `errno`. `errno` is read
    /// before `operation` is built, so building the message cannot change it.
    package static func fromErrno(_ operation: @autoclosure () -> String) -> SystemCallError {
        let code = errno
        return SystemCallError(operation: operation(), reason: String(cString: strerror(code)))
    }

    /// `operation failed: reason`, as `TesselError.system` reads.
    package var description: String { "\(operation) failed: \(reason)" }
}
