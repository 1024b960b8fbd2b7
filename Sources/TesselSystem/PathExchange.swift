#if canImport(Glibc)
import Glibc
#endif

/// Swapping two paths in one atomic step: Linux's `renameat2(…, RENAME_EXCHANGE)`, which
/// replaces a folder that holds files without a moment in which neither the old nor the new
/// one has the name (a plain `rename` refuses a target folder that is not empty).
package enum PathExchange {
    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int32

    /// glibc (2.28 and later) has `renameat2`, but the Swift Glibc module does not import it:
    /// it is looked up at run time; nil with an older C library.
    private static let renameat2: RenameAt2? = dlsym(dlopen(nil, RTLD_NOW), "renameat2").map { unsafeBitCast($0, to: RenameAt2.self) }

    /// `RENAME_EXCHANGE` from `<linux/fs.h>` (not imported either).
    private static let renameExchange: UInt32 = 1 << 1

    /// Swaps the existing paths `first` and `second` atomically. Returns false, changing
    /// nothing, when the C library or the file system cannot (e.g. an old kernel, some network
    /// file systems) or either path does not exist.
    package static func swap(_ first: String, _ second: String) -> Bool {
        guard let renameat2 else { return false }
        return renameat2(AT_FDCWD, first, AT_FDCWD, second, renameExchange) == 0
    }
}
