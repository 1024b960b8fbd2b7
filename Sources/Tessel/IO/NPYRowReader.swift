#if canImport(Glibc)
import Glibc
#endif

/// Reads the rows (along the first dimension) of a float32 or float64 `.npy` file a block at a
/// time, so that a file of any size is processed in bounded memory (`tessel predict`). The
/// file is checked as `NPY.decode` checks it when the reader opens it; rows are read with
/// `pread` when asked for.
public final class NPYRowReader {
    /// The file read.
    public let path: String
    /// The array's shape: rows first.
    public let shape: [Int]
    /// The element type: `.float32` or `.float64`.
    public let dtype: DType
    private let dataStart: Int
    private let descriptor: Int32

    /// Opens the `.npy` file at `path` and reads its header.
    /// - Throws: `TesselError.system` when the file cannot be opened or read; as `NPY.decode`
    ///   for a malformed file; `TesselError.npy` when it holds integers or has rank 0.
    public init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw TesselError.fromErrno("read '\(path)'") }
        do {
            var information = stat()
            guard fstat(descriptor, &information) == 0 else { throw TesselError.fromErrno("read '\(path)'") }
            let fileSize = max(0, Int(information.st_size))
            var prefix = [UInt8](repeating: 0, count: min(fileSize, NPY.headerPrefixLength))
            try Self.read(descriptor, into: &prefix, at: 0, path: path)
            let (header, dtype, dataStart, _) = try NPY.layout(prefix, fileSize: fileSize, source: path)
            guard dtype == .float32 || dtype == .float64, !header.shape.isEmpty else {
                throw TesselError.npy(path: path, reason: "holds \(dtype) data of shape \(Shape.describe(header.shape)), expected float32 or float64 rows")
            }
            (self.path, self.shape, self.dtype, self.dataStart, self.descriptor) = (path, header.shape, dtype, dataStart, descriptor)
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// The number of rows.
    public var rowCount: Int { shape[0] }

    /// The rows `range` as a tensor of shape `(range.count, shape[1...])`, of the file's own
    /// element type `T`.
    /// - Throws: `TesselError.npy` when `T` is not the file's element type or `range` is not
    ///   within the rows; `TesselError.system` when the file cannot be read (or has shrunk).
    public func rows<T: TesselScalar>(_ range: Range<Int>, as _: T.Type = T.self) throws -> Tensor<T> {
        guard T.dtype == dtype else {
            throw TesselError.npy(path: path, reason: "holds \(dtype) data, \(T.dtype) was asked for")
        }
        guard range.lowerBound >= 0, range.upperBound <= rowCount else {
            throw TesselError.npy(path: path, reason: "has no rows \(range.lowerBound)..<\(range.upperBound) (it has \(rowCount))")
        }
        let rowLength = shape.dropFirst().reduce(1, *)
        var bytes = [UInt8](repeating: 0, count: range.count * rowLength * MemoryLayout<T>.size)
        try Self.read(descriptor, into: &bytes, at: dataStart + range.lowerBound * rowLength * MemoryLayout<T>.size, path: path)
        let rowShape = [range.count] + shape.dropFirst()
        return try bytes.withUnsafeBytes { data in
            switch dtype {
            case .float32: try NPY.tensor(T.self, bits: UInt32.self, shape: rowShape, data: data)
            default: try NPY.tensor(T.self, bits: UInt64.self, shape: rowShape, data: data)
            }
        }
    }

    /// Fills `bytes` from `offset` in the file.
    private static func read(_ descriptor: Int32, into bytes: inout [UInt8], at offset: Int, path: String) throws {
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + filled))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw TesselError.fromErrno("read '\(path)'")
            }
            guard count > 0 else {
                throw TesselError.system(operation: "read '\(path)'", reason: "the file ended at byte \(offset + filled), before its data did")
            }
            filled += count
        }
    }
}
