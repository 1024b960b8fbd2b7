import Testing
@testable import Tessel

@Suite struct LaneComparisonsTests {
    /// The helpers agree with the scalar IEEE comparisons lane by lane, NaN and ±0 included.
    @Test func matchScalarComparisons() {
        check(Float.self)
        check(Double.self)
    }

    /// All 64 ordered pairs of 8 special values, 16 pairs per vector.
    func check<T: TesselScalar>(_: T.Type) {
        let values: [T] = [-.infinity, -1, -0.0, 0, 1, .infinity, .nan, 2]
        for block in 0..<4 {
            var x = SIMD16<T>(), y = SIMD16<T>()
            for l in 0..<16 {
                x[l] = values[(block * 16 + l) / 8]
                y[l] = values[(block * 16 + l) % 8]
            }
            let greater = x.isGreater(than: y), greaterOrEqual = x.isGreaterOrEqual(to: y)
            let lessOrEqual = x.isLessOrEqual(to: y), equal = x.isEqual(to: y), notEqual = x.isNotEqual(to: y)
            for l in 0..<16 {
                #expect(greater[l] == (x[l] > y[l]))
                #expect(greaterOrEqual[l] == (x[l] >= y[l]))
                #expect(lessOrEqual[l] == (x[l] <= y[l]))
                #expect(equal[l] == (x[l] == y[l]))
                #expect(notEqual[l] == (x[l] != y[l]))
            }
        }
    }
}
