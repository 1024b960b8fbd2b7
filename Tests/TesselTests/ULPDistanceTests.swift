import Testing
@testable import Tessel

/// `ULPDistance`: the ordered-integer distance between two floats, in Float and Double.
@Suite struct ULPDistanceTests {
    @Test func adjacentValuesAreOneApart() {
        for x: Float in [1, -1, 0.1, 3.0e38, Float.leastNormalMagnitude, Float.leastNonzeroMagnitude, 0, -0.0, Float.leastNormalMagnitude / 4] {
            #expect(ULPDistance.between(x, x.nextUp) == 1, "\(x)")
            #expect(ULPDistance.between(x.nextDown, x) == 1, "\(x)")
            #expect(ULPDistance.between(x, x) == 0, "\(x)")
        }
        for x: Double in [1, -1, 0.1, 1.7e308, Double.leastNormalMagnitude, Double.leastNonzeroMagnitude, -Double.leastNormalMagnitude / 8] {
            #expect(ULPDistance.between(x, x.nextUp) == 1, "\(x)")
            #expect(ULPDistance.between(x.nextUp, x) == 1, "\(x)")
        }
        // 1 and 2 are 2^23 floats apart (every significand of the binade [1, 2)).
        #expect(ULPDistance.between(Float(1), Float(2)) == 1 << 23)
        #expect(ULPDistance.between(Double(2), Double(1)) == 1 << 52)
        #expect(ULPDistance.between(Float(1), Float(1).nextUp.nextUp.nextUp) == 3)
    }

    @Test func positiveAndNegativeZeroAreZeroApart() {
        #expect(ULPDistance.between(Float(0), Float(-0.0)) == 0)
        #expect(ULPDistance.between(Double(-0.0), Double(0)) == 0)
        // …but their bits differ, which is what a comparison counts as a difference.
        #expect(ULPDistance.bits(Float(0)) != ULPDistance.bits(Float(-0.0)))
        #expect(ULPDistance.bits(Float(-0.0)) == 0x8000_0000)
        #expect(ULPDistance.bits(Double(-0.0)) == 0x8000_0000_0000_0000)
        #expect(ULPDistance.bits(Float(1)) == UInt64(Float(1).bitPattern))
        #expect(ULPDistance.bits(Double(-3.5)) == Double(-3.5).bitPattern)
    }

    @Test func distancesAcrossZeroCountBothSides() {
        let tiny = Float.leastNonzeroMagnitude
        #expect(ULPDistance.between(-tiny, tiny) == 2)
        #expect(ULPDistance.between(-tiny, Float(0)) == 1)
        #expect(ULPDistance.between(-tiny, Float(-0.0)) == 1)
        #expect(ULPDistance.between(Float(-1), Float(1)) == 2 * UInt64(Float(1).bitPattern))
        #expect(ULPDistance.between(-Double.leastNonzeroMagnitude, Double.leastNonzeroMagnitude) == 2)
    }

    @Test func infinityFollowsTheGreatestFiniteValue() {
        #expect(ULPDistance.between(Float.greatestFiniteMagnitude, Float.infinity) == 1)
        #expect(ULPDistance.between(-Double.infinity, -Double.greatestFiniteMagnitude) == 1)
        #expect(ULPDistance.between(-Float.infinity, Float.infinity) == 2 * UInt64(0x7F80_0000))
        #expect(ULPDistance.between(-Double.infinity, Double.infinity) == 2 * UInt64(0x7FF0_0000_0000_0000))
    }

    @Test func nanHasNoDistance() {
        #expect(ULPDistance.between(Float.nan, Float.nan) == nil)
        #expect(ULPDistance.between(Float.nan, Float(1)) == nil)
        #expect(ULPDistance.between(Double(0), -Double.nan) == nil)
        #expect(ULPDistance.between(Double.infinity, Double.signalingNaN) == nil)
    }
}
