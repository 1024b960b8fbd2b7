import TesselSystem

extension TesselError {
    /// A `.system` error for `operation` carrying the text of the current `errno`, read before
    /// `operation` is built (`SystemCallError.fromErrno`).
    static func fromErrno(_ operation: @autoclosure () -> String) -> TesselError {
        TesselError(SystemCallError.fromErrno(operation()))
    }

    /// The `.system` error with `error`'s operation and reason.
    package init(_ error: SystemCallError) {
        self = .system(operation: error.operation, reason: error.reason)
    }

    /// Runs `body`, a call into the package's file and process utilities (TesselSystem), and
    /// throws the `SystemCallError` it throws as `TesselError.system`.
    package static func translatingSystemErrors<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as SystemCallError {
            throw TesselError(error)
        }
    }
}
