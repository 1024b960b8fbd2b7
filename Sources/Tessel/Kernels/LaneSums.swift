/// The sum of a `SIMD16<Double>`'s lanes in lane order, written out.
///
/// Every span and chunk sum of the kernels ends with its lane-wise Double accumulators added
/// across the lanes, and that order is part of the bits. The standard library's `sum()` adds
/// them one lane at a time today, but leaves its order open (it may become a tree), and the
/// compiler kept it out of line, the vector passed through memory (7% of `tessel run
/// config/digits.json`'s samples). This is the same linear order, fixed here and inlined.
extension SIMD16 where Scalar == Double {
    /// `((self[0] + self[1]) + self[2]) + … + self[15]`.
    @inline(__always)
    func sumInLaneOrder() -> Double {
        var total = self[0]
        total += self[1]
        total += self[2]
        total += self[3]
        total += self[4]
        total += self[5]
        total += self[6]
        total += self[7]
        total += self[8]
        total += self[9]
        total += self[10]
        total += self[11]
        total += self[12]
        total += self[13]
        total += self[14]
        total += self[15]
        return total
    }
}
