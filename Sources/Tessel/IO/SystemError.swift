#if canImport(Glibc)
import Glibc
#endif

extension TesselError {
    /// A `.system` error for `operation` carrying the text of the current `errno`. `errno` is
    /// read before `operation` is built, so building the message cannot change it.
    static func fromErrno(_ operation: @autoclosure () -> String) -> TesselError {
        let code = errno
        return .system(operation: operation(), reason: String(cString: strerror(code)))
    }
}
