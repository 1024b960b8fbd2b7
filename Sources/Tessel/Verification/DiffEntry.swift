/// One file of a comparison (`DiffReport`): a `.npy` array compared element by element, or
/// another file compared byte for byte.
public struct DiffEntry: Sendable, Codable, Equatable {
    /// What the comparison found.
    public enum Status: String, Sendable, Codable {
        /// Same type, same shape, same bits (or, for a file that is not `.npy`, same bytes).
        case identical
        /// Same type and shape, some elements differ (`elements` says how), or, for a file that
        /// is not `.npy`, the bytes differ (`firstDifferingByte` says where).
        case different
        /// The file exists under A only.
        case onlyInA = "only in A"
        /// The file exists under B only.
        case onlyInB = "only in B"
        /// The element types differ (float32 against float64, …); elements are not compared.
        case dtypeMismatch = "dtype mismatch"
        /// Same element type, other shapes; elements are not compared.
        case shapeMismatch = "shape mismatch"
    }

    /// The file's path relative to the compared folders (for two files: A's path).
    public var name: String
    /// What the comparison found.
    public var status: Status
    /// A's element type (`float32`, `float64`, `int32`, `int64`); nil when A has no such file
    /// or it is not a `.npy` file.
    public var dtypeA: String?
    /// B's element type, as `dtypeA`.
    public var dtypeB: String?
    /// A's shape; nil as `dtypeA`.
    public var shapeA: [Int]?
    /// B's shape; nil as `dtypeB`.
    public var shapeB: [Int]?
    /// The element-by-element difference when `status` is `different` for `.npy` files.
    public var elements: ElementDifference?
    /// For files that are not `.npy`: A's size in bytes.
    public var bytesA: Int?
    /// For files that are not `.npy`: B's size in bytes.
    public var bytesB: Int?
    /// For files that are not `.npy` and differ: the offset of the first differing byte (the
    /// shorter file's size when one is a prefix of the other).
    public var firstDifferingByte: Int?

    /// Whether the two sides are the same.
    public var isIdentical: Bool { status == .identical }

    /// Compares two `.npy` arrays: the type first, then the shape, then every element's bits.
    public init(name: String, a: NPYArray, b: NPYArray) {
        self.name = name
        (dtypeA, dtypeB, shapeA, shapeB) = (a.dtype.rawValue, b.dtype.rawValue, a.shape, b.shape)
        if a.dtype != b.dtype {
            status = .dtypeMismatch
        } else if a.shape != b.shape {
            status = .shapeMismatch
        } else {
            elements = ElementDifference.between(a, b)
            status = elements == nil ? .identical : .different
        }
    }

    /// Compares two files byte for byte.
    public init(name: String, bytesA a: [UInt8], bytesB b: [UInt8]) {
        self.name = name
        (bytesA, bytesB) = (a.count, b.count)
        if a == b {
            status = .identical
        } else {
            status = .different
            firstDifferingByte = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        }
    }

    /// A file that exists under A only (`onlyInA` true) or under B only.
    public init(name: String, onlyInA: Bool) {
        self.name = name
        self.status = onlyInA ? .onlyInA : .onlyInB
    }
}
