import Testing
@testable import Tessel

@Suite struct LaneExtremesTests {
    /// The tree reductions find the largest and the smallest lane wherever it lies, with the
    /// other lanes distinct, tied or infinite: the standard library's scalar scan gives the same.
    @Test func findTheExtremeLaneAnywhere() {
        check(Float.self)
        check(Double.self)
    }

    func check<T: TesselScalar>(_: T.Type) {
        for lane in 0..<16 {
            for filler: T in [1, -3, 2.5] {
                var v = SIMD16<T>(repeating: filler)
                for l in 0..<16 { v[l] += T(l % 5) / 8 }
                var largest = v, smallest = v
                largest[lane] = 7
                smallest[lane] = -7
                #expect(largest.largestLane() == 7)
                #expect(smallest.smallestLane() == -7)
                #expect(v.largestLane() == v.max() && v.smallestLane() == v.min())
                var infinite = v
                infinite[lane] = .infinity
                #expect(infinite.largestLane() == .infinity)
                infinite[lane] = -.infinity
                #expect(infinite.smallestLane() == -.infinity)
            }
        }
    }
}
