import CTessel
import Tessel
#if canImport(Glibc)
import Glibc
#endif

/// Runs the body of one C entry point: `TESSEL_OK` when it returns, otherwise the status of
/// the error it threw, with its message copied to `*message` (freed by `tessel_string_free`).
/// Nothing is thrown across the C boundary.
func exported(_ message: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ body: () throws -> Void) -> tessel_status {
    do {
        try body()
        return TESSEL_OK
    } catch {
        let (status, text): (tessel_status, String)
        switch error {
        case let tessel as TesselError:
            switch tessel {
            case .shapeMismatch, .invalidParameter, .invalidShape: status = TESSEL_INVALID_ARGUMENT
            case .outOfMemory: status = TESSEL_OUT_OF_MEMORY
            case .npy, .configuration, .system: status = TESSEL_FAILURE
            }
            text = tessel.description
        default:
            (status, text) = (TESSEL_FAILURE, "\(error)")
        }
        message?.pointee = strdup(text)
        return status
    }
}
