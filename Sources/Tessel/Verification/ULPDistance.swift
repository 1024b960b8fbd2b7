/// The distance between two floating-point values in units in the last place (ULPs): how many
/// representable values of their type lie between them, plus one.
///
/// Every non-NaN value maps to an ordered integer: its magnitude's bit pattern (exponent and
/// significand bits), negated for a negative sign. The distance is the difference of the two
/// ordered integers, so
/// - equal values are 0 apart, +0 and -0 included (they map to the same integer);
/// - adjacent values are 1 apart (`x` and `x.nextUp`);
/// - the distance across zero counts every value on both sides: the smallest subnormals
///   `-leastNonzeroMagnitude` and `+leastNonzeroMagnitude` are 2 apart;
/// - infinity is the value after `greatestFiniteMagnitude` (1 apart), so values of opposite
///   signs and infinities have a distance too;
/// - a NaN has no place in the order: the distance is nil when either value is NaN.
///
/// Defined for `Float` and `Double`; the largest distance, between `-infinity` and `+infinity`,
/// fits in `UInt64`.
public enum ULPDistance {
    /// The ULP distance between `a` and `b` (see the type's description), or nil when either is NaN.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func between<T: TesselScalar>(_ a: T, _ b: T) -> UInt64? {
        guard !a.isNaN, !b.isNaN else { return nil }
        let magnitudeA = magnitudeBits(a), magnitudeB = magnitudeBits(b)
        if (a.sign == .minus) == (b.sign == .minus) {
            return magnitudeA > magnitudeB ? magnitudeA - magnitudeB : magnitudeB - magnitudeA
        }
        return magnitudeA + magnitudeB
    }

    /// The bit pattern of `|x|`: exponent bits above significand bits, as an unsigned integer
    /// that grows with the magnitude.
    @inline(__always)
    static func magnitudeBits<T: TesselScalar>(_ x: T) -> UInt64 {
        UInt64(x.exponentBitPattern) << UInt64(T.significandBitCount) | UInt64(x.significandBitPattern)
    }

    /// The whole bit pattern of `x` (sign, exponent, significand) in the low bits of a `UInt64`.
    @inline(__always)
    static func bits<T: TesselScalar>(_ x: T) -> UInt64 {
        (x.sign == .minus ? 1 << UInt64(T.exponentBitCount + T.significandBitCount) : 0) | magnitudeBits(x)
    }
}
