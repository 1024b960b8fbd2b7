#if canImport(Glibc)
import Glibc
#endif
import TesselSystem

/// Reads and writes NumPy `.npy` files (format versions 1.0 and 2.0).
///
/// Reads little-endian, C-order `<f4`, `<f8`, `<i4` and `<i8` data of any rank (0 included);
/// writes float32 and float64 tensors exactly as `numpy.save` does (version 1.0 unless the
/// header needs 2.0, data 64-byte aligned). Anything else — another type, big-endian data,
/// Fortran order, a malformed or oversized header, too little or too much data — is a thrown
/// `TesselError.npy` that names the file and the problem. The decoder never traps, whatever
/// the bytes.
public enum NPY {
    /// Reads the `.npy` file at `path`.
    /// - Throws: `TesselError.system` when the file cannot be read; `TesselError.npy(path:reason:)`
    ///   when its contents are not a supported `.npy` array (see `decode`);
    ///   `TesselError.outOfMemory` when the file's bytes and their decoded copy, which the
    ///   allocators do not count, would not fit in `MemoryBudget.shared`'s room now.
    public static func read(from path: String) throws -> NPYArray {
        var information = stat()
        if stat(path, &information) == 0 {
            try MemoryBudget.shared.checkRoom(for: 2 * Int(information.st_size), what: "reading '\(path)' and decoding its data")
        }
        return try decode(FileBytes.read(from: path), source: path)
    }

    /// Reads the float32 or float64 `.npy` file at `path` as a tensor of `T`, converting if needed.
    /// - Throws: as `read(from:)`, and `TesselError.npy` when the file holds integers.
    public static func readTensor<T: TesselScalar>(from path: String, as _: T.Type = T.self) throws -> Tensor<T> {
        try read(from: path).tensor(as: T.self, source: path)
    }

    /// Reads the rank-1 int32 or int64 `.npy` file at `path` as class labels.
    /// - Throws: as `read(from:)`, and `TesselError.npy` for floating-point data or another rank.
    public static func readLabels(from path: String) throws -> [Int] {
        try read(from: path).labels(source: path)
    }

    /// Decodes the bytes of a `.npy` file; `source` names it in errors.
    /// - Throws: `TesselError.npy(path: source, reason:)` for a missing magic string, a version
    ///   other than 1.0 and 2.0, a header longer than 1 MiB or than the file, a malformed header
    ///   (not ASCII, not a dictionary, a missing, duplicate or unexpected key, a value of the
    ///   wrong type), a type other than `<f4 <f8 <i4 <i8`, Fortran order, a negative or
    ///   overflowing shape, and data shorter or longer than the shape needs.
    public static func decode(_ bytes: [UInt8], source: String) throws -> NPYArray {
        let (header, dtype, dataStart, count) = try layout(bytes, fileSize: bytes.count, source: source)
        return try bytes.withUnsafeBytes { file in
            let data = UnsafeRawBufferPointer(rebasing: file[dataStart...])
            switch dtype {
            case .float32: return .float32(try tensor(Float.self, bits: UInt32.self, shape: header.shape, data: data))
            case .float64: return .float64(try tensor(Double.self, bits: UInt64.self, shape: header.shape, data: data))
            case .int32: return .int32(shape: header.shape, values: integers(Int32.self, count: count, data: data))
            case .int64: return .int64(shape: header.shape, values: integers(Int64.self, count: count, data: data))
            }
        }
    }

    /// The header of a `.npy` file of `fileSize` bytes that starts with `bytes` (the whole
    /// file, or at least its first `headerPrefixLength` bytes), checked as `decode` checks it:
    /// the header, the element type, where the data starts, and the element count, which the
    /// data after the header must hold exactly.
    /// - Throws: as `decode`.
    static func layout(_ bytes: [UInt8], fileSize: Int, source: String) throws -> (header: NPYHeader, dtype: DType, dataStart: Int, count: Int) {
        func failure(_ reason: String) -> TesselError { .npy(path: source, reason: reason) }
        guard bytes.starts(with: NPYHeader.magic) else {
            throw failure("not a .npy file: it does not start with the bytes \\x93NUMPY")
        }
        guard bytes.count >= 8 else { throw failure("the file ends inside the format version") }
        let lengthFieldSize: Int
        switch (bytes[6], bytes[7]) {
        case (1, 0): lengthFieldSize = 2
        case (2, 0): lengthFieldSize = 4
        case let (major, minor):
            throw failure("unsupported .npy format version \(major).\(minor) (Tessel reads 1.0 and 2.0)")
        }
        let headerStart = 8 + lengthFieldSize
        guard bytes.count >= headerStart else { throw failure("the file ends inside the header length") }
        var headerLength = 0
        for index in 0..<lengthFieldSize { headerLength |= Int(bytes[8 + index]) << (8 * index) }
        guard headerLength <= NPYHeader.maximumLength else {
            throw failure("header length \(headerLength) exceeds the limit of \(NPYHeader.maximumLength) bytes")
        }
        let dataStart = headerStart + headerLength
        guard dataStart <= bytes.count else {
            throw failure("header length \(headerLength) extends beyond the end of the file (\(fileSize) bytes)")
        }
        let header = try NPYHeader.parse(bytes[headerStart..<dataStart], source: source)
        guard let dtype = DType(npyDescr: header.descr) else {
            let supported = DType.allCases.map { "'\($0.npyDescr)'" }.joined(separator: ", ")
            if header.descr.first == ">", let little = DType(npyDescr: "<" + header.descr.dropFirst()) {
                throw failure("big-endian data ('\(header.descr)') is not supported: save it with a.astype('\(little.npyDescr)')")
            }
            throw failure("dtype '\(header.descr)' is not supported (Tessel reads \(supported))")
        }
        guard !header.fortranOrder else {
            throw failure("Fortran-order (column-major) data is not supported: save np.ascontiguousarray(a)")
        }
        let count: Int
        do {
            count = try Shape.elementCount(header.shape)
        } catch let TesselError.invalidShape(_, reason) {
            throw failure("invalid shape \(Shape.describe(header.shape)): \(reason)")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow else {
            throw failure("invalid shape \(Shape.describe(header.shape)): the data size overflows Int")
        }
        let available = fileSize - dataStart
        let expectation = "shape \(Shape.describe(header.shape)) of '\(header.descr)' needs \(byteCount) bytes of data"
        guard available >= byteCount else { throw failure("truncated data: \(expectation), the file has \(available)") }
        guard available == byteCount else {
            throw failure("\(available - byteCount) unexpected bytes after the data: \(expectation), the file has \(available)")
        }
        return (header, dtype, dataStart, count)
    }

    /// The most bytes `layout` needs to see: magic, version, a 4-byte length and the longest header.
    static var headerPrefixLength: Int { 12 + NPYHeader.maximumLength }

    /// The bytes of a `.npy` file holding `tensor`, identical to what `numpy.save` writes for
    /// the same array (`<f4` or `<f8`, C order).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func encode<T: TesselScalar>(_ tensor: Tensor<T>) -> [UInt8] {
        var bytes = NPYHeader(descr: T.dtype.npyDescr, fortranOrder: false, shape: tensor.shape).encoded()
        let dataStart = bytes.count
        bytes += repeatElement(0, count: tensor.count * MemoryLayout<T>.size)
        bytes.withUnsafeMutableBytes { file in
            let data = UnsafeMutableRawBufferPointer(rebasing: file[dataStart...])
            tensor.withUnsafeBufferPointer { scalars in
                switch T.dtype {
                case .float32: scalars.withMemoryRebound(to: UInt32.self) { storeLittleEndian($0, into: data) }
                default: scalars.withMemoryRebound(to: UInt64.self) { storeLittleEndian($0, into: data) }
                }
            }
        }
        return bytes
    }

    /// Writes `tensor` to `path` as a `.npy` file, atomically (see `AtomicFile`).
    /// - Throws: `TesselError.system` naming `path` when the file cannot be written.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func write<T: TesselScalar>(_ tensor: Tensor<T>, to path: String) throws {
        try TesselError.translatingSystemErrors { try AtomicFile.write(encode(tensor), to: path) }
    }

    /// A tensor of `shape` decoded from little-endian `data`; `Bits` is the unsigned integer
    /// of `T`'s size.
    static func tensor<T: TesselScalar, Bits: FixedWidthInteger & UnsignedInteger>(
        _: T.Type, bits _: Bits.Type, shape: [Int], data: UnsafeRawBufferPointer
    ) throws -> Tensor<T> {
        var tensor = try Tensor<T>.uninitialized(shape: shape)
        tensor.withUnsafeMutableBufferPointer { scalars in
            scalars.withMemoryRebound(to: Bits.self) { loadLittleEndian(from: data, into: $0) }
        }
        return tensor
    }

    private static func integers<Value: FixedWidthInteger>(_: Value.Type, count: Int, data: UnsafeRawBufferPointer) -> [Value] {
        [Value](unsafeUninitializedCapacity: count) { values, initialized in
            loadLittleEndian(from: data, into: values)
            initialized = count
        }
    }

    private static func loadLittleEndian<Value: FixedWidthInteger>(from data: UnsafeRawBufferPointer,
                                                                   into values: UnsafeMutableBufferPointer<Value>) {
        for index in values.indices {
            values[index] = Value(littleEndian: data.loadUnaligned(fromByteOffset: index * MemoryLayout<Value>.size, as: Value.self))
        }
    }

    private static func storeLittleEndian<Value: FixedWidthInteger>(_ values: UnsafeBufferPointer<Value>,
                                                                    into data: UnsafeMutableRawBufferPointer) {
        for index in values.indices {
            data.storeBytes(of: values[index].littleEndian, toByteOffset: index * MemoryLayout<Value>.size, as: Value.self)
        }
    }
}

extension DType {
    /// The NumPy type string of this type in a little-endian `.npy` file, e.g. `<f4`.
    var npyDescr: String {
        switch self {
        case .float32: "<f4"
        case .float64: "<f8"
        case .int32: "<i4"
        case .int64: "<i8"
        }
    }

    /// The type whose `npyDescr` is `descr`, or nil.
    init?(npyDescr descr: String) {
        guard let type = DType.allCases.first(where: { $0.npyDescr == descr }) else { return nil }
        self = type
    }
}
