/// How two arrays of the same type and shape differ, element by element, bit for bit.
///
/// An element differs when its bits differ: +0 against -0 differs (0 ULPs apart), and two NaNs
/// differ when their payloads do. Values are compared as stored, never converted between types.
public struct ElementDifference: Sendable, Codable, Equatable {
    /// The number of elements in each array.
    public var elements: Int
    /// The number of elements whose bits differ (at least 1).
    public var differing: Int
    /// The row-major position of the first differing element.
    public var firstFlatIndex: Int
    /// The same position as an index into the shape, outermost dimension first (`[]` for a scalar).
    public var firstIndex: [Int]
    /// The first differing element of A, as the shortest text that reads back to the same
    /// value of its type (`0.1`, `-inf`, `nan`, `12`).
    public var firstA: String
    /// The first differing element of B, as `firstA`.
    public var firstB: String
    /// The bit pattern of `firstA` (the low 32 bits for float32 and int32).
    public var firstBitsA: UInt64
    /// The bit pattern of `firstB`.
    public var firstBitsB: UInt64
    /// The ULP distance of the first differing pair (`ULPDistance`): nil for integer data, or
    /// when one of the pair is NaN.
    public var firstULPs: UInt64?
    /// The largest ULP distance over the differing pairs without a NaN; nil for integer data,
    /// or when every differing pair holds a NaN.
    public var largestULPs: UInt64?
    /// The largest `|a - b|` (computed in Double) over the differing pairs of finite values;
    /// 0 when there is none.
    public var largestAbsolute: Double
    /// The largest `|a - b| / max(|a|, |b|)` over the differing pairs of finite values (0 for
    /// +0 against -0); between 0 and 2, 0 when there is none.
    public var largestRelative: Double
    /// The differing pairs where one value or both are NaN or infinite; they are left out of
    /// `largestAbsolute` and `largestRelative`.
    public var nonFinite: Int

    /// How `a` and `b` differ, or nil when they hold the same bits. They are meant to be of the
    /// same type and shape (`DiffEntry` checks that first): for two types the result is nil,
    /// for two shapes of one type the elements are compared over their shared length as flat
    /// sequences, indexed in `a`'s shape.
    public static func between(_ a: NPYArray, _ b: NPYArray) -> ElementDifference? {
        switch (a, b) {
        case let (.float32(x), .float32(y)):
            return x.withUnsafeBufferPointer { p in y.withUnsafeBufferPointer { q in floating(p, q, shape: x.shape) } }
        case let (.float64(x), .float64(y)):
            return x.withUnsafeBufferPointer { p in y.withUnsafeBufferPointer { q in floating(p, q, shape: x.shape) } }
        case let (.int32(shape, x), .int32(_, y)):
            return x.withUnsafeBufferPointer { p in y.withUnsafeBufferPointer { q in integer(p, q, shape: shape) } }
        case let (.int64(shape, x), .int64(_, y)):
            return x.withUnsafeBufferPointer { p in y.withUnsafeBufferPointer { q in integer(p, q, shape: shape) } }
        default:
            return nil
        }
    }

    /// The row-major multi-index of element `flat` in an array of `shape`.
    public static func index(ofFlat flat: Int, in shape: [Int]) -> [Int] {
        var index = [Int](repeating: 0, count: shape.count)
        var rest = flat
        for dimension in shape.indices.reversed() where shape[dimension] > 0 {
            index[dimension] = rest % shape[dimension]
            rest /= shape[dimension]
        }
        return index
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    private static func floating<T: TesselScalar>(_ a: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>,
                                                  shape: [Int]) -> ElementDifference? {
        let count = min(a.count, b.count)
        var first: Int? = nil
        var differing = 0, nonFinite = 0
        var largestULPs: UInt64? = nil
        var largestAbsolute = 0.0, largestRelative = 0.0
        for i in 0..<count {
            let x = a[i], y = b[i]
            guard ULPDistance.bits(x) != ULPDistance.bits(y) else { continue }
            differing += 1
            if first == nil { first = i }
            if let ulps = ULPDistance.between(x, y) { largestULPs = max(largestULPs ?? 0, ulps) }
            guard x.isFinite, y.isFinite else {
                nonFinite += 1
                continue
            }
            let dx = Double(x), dy = Double(y)
            let absolute = abs(dx - dy), scale = max(abs(dx), abs(dy))
            largestAbsolute = max(largestAbsolute, absolute)
            if scale > 0 { largestRelative = max(largestRelative, absolute / scale) }
        }
        guard let first else { return nil }
        return ElementDifference(elements: count, differing: differing, firstFlatIndex: first, firstIndex: index(ofFlat: first, in: shape),
                                 firstA: text(a[first]), firstB: text(b[first]),
                                 firstBitsA: ULPDistance.bits(a[first]), firstBitsB: ULPDistance.bits(b[first]),
                                 firstULPs: ULPDistance.between(a[first], b[first]), largestULPs: largestULPs,
                                 largestAbsolute: largestAbsolute, largestRelative: largestRelative, nonFinite: nonFinite)
    }

    private static func integer<Value: FixedWidthInteger & SignedInteger>(_ a: UnsafeBufferPointer<Value>, _ b: UnsafeBufferPointer<Value>,
                                                                          shape: [Int]) -> ElementDifference? {
        let count = min(a.count, b.count)
        var first: Int? = nil
        var differing = 0
        var largestAbsolute = 0.0, largestRelative = 0.0
        for i in 0..<count where a[i] != b[i] {
            differing += 1
            if first == nil { first = i }
            let dx = Double(a[i]), dy = Double(b[i])
            let absolute = abs(dx - dy)
            largestAbsolute = max(largestAbsolute, absolute)
            largestRelative = max(largestRelative, absolute / max(abs(dx), abs(dy)))
        }
        guard let first else { return nil }
        let bits = { (value: Value) in UInt64(truncatingIfNeeded: value) & (UInt64.max >> (64 - Value.bitWidth)) }
        return ElementDifference(elements: count, differing: differing, firstFlatIndex: first, firstIndex: index(ofFlat: first, in: shape),
                                 firstA: String(a[first]), firstB: String(b[first]), firstBitsA: bits(a[first]), firstBitsB: bits(b[first]),
                                 firstULPs: nil, largestULPs: nil, largestAbsolute: largestAbsolute, largestRelative: largestRelative,
                                 nonFinite: 0)
    }

    /// The shortest text that reads back as `x`: `0.1`, `1e-05`, `-inf`, `nan`.
    private static func text<T: TesselScalar>(_ x: T) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return "\(x)"
    }
}
