/// The largest and the smallest lane of a `SIMD16<T>` by a tree of lane-wise selects.
///
/// The standard library's `max()` and `min()` reduce one lane at a time through memory (each
/// lane compared as a scalar, NaN-aware); these halve the vector three times and compare the
/// last two lanes. For vectors without NaN lanes they give the same value; of lanes that
/// compare equal (−0 and +0) which one's bits are returned is unspecified, and with a NaN lane
/// the result is unspecified too, so callers send such vectors elsewhere.
extension SIMD16 where Scalar: TesselScalar {
    /// The largest lane; unspecified with a NaN lane, and which of −0 and +0 when both are largest.
    @inline(__always)
    func largestLane() -> Scalar {
        if Scalar.self == Float.self {
            return unsafeBitCast(LaneExtremes.largest(unsafeBitCast(self, to: SIMD16<Float>.self)), to: Scalar.self)
        }
        if Scalar.self == Double.self {
            return unsafeBitCast(LaneExtremes.largest(unsafeBitCast(self, to: SIMD16<Double>.self)), to: Scalar.self)
        }
        return self.max()
    }

    /// The smallest lane; unspecified with a NaN lane, and which of −0 and +0 when both are smallest.
    @inline(__always)
    func smallestLane() -> Scalar {
        if Scalar.self == Float.self {
            return unsafeBitCast(LaneExtremes.smallest(unsafeBitCast(self, to: SIMD16<Float>.self)), to: Scalar.self)
        }
        if Scalar.self == Double.self {
            return unsafeBitCast(LaneExtremes.smallest(unsafeBitCast(self, to: SIMD16<Double>.self)), to: Scalar.self)
        }
        return self.min()
    }
}

/// The concrete trees behind `largestLane` and `smallestLane`, written once per scalar: a
/// generic `.>` on `SIMD8` would be the protocol's lane-by-lane default (`LaneComparisons`).
enum LaneExtremes {
    @inline(__always)
    static func largest(_ v: SIMD16<Float>) -> Float {
        let eight = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
        let four = eight.lowHalf.replacing(with: eight.highHalf, where: eight.highHalf .> eight.lowHalf)
        let two = four.lowHalf.replacing(with: four.highHalf, where: four.highHalf .> four.lowHalf)
        return two[1] > two[0] ? two[1] : two[0]
    }

    @inline(__always)
    static func largest(_ v: SIMD16<Double>) -> Double {
        let eight = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
        let four = eight.lowHalf.replacing(with: eight.highHalf, where: eight.highHalf .> eight.lowHalf)
        let two = four.lowHalf.replacing(with: four.highHalf, where: four.highHalf .> four.lowHalf)
        return two[1] > two[0] ? two[1] : two[0]
    }

    @inline(__always)
    static func smallest(_ v: SIMD16<Float>) -> Float {
        let eight = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .< v.lowHalf)
        let four = eight.lowHalf.replacing(with: eight.highHalf, where: eight.highHalf .< eight.lowHalf)
        let two = four.lowHalf.replacing(with: four.highHalf, where: four.highHalf .< four.lowHalf)
        return two[1] < two[0] ? two[1] : two[0]
    }

    @inline(__always)
    static func smallest(_ v: SIMD16<Double>) -> Double {
        let eight = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .< v.lowHalf)
        let four = eight.lowHalf.replacing(with: eight.highHalf, where: eight.highHalf .< eight.lowHalf)
        let two = four.lowHalf.replacing(with: four.highHalf, where: four.highHalf .< four.lowHalf)
        return two[1] < two[0] ? two[1] : two[0]
    }
}
