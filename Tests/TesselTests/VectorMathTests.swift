import Testing
@testable import Tessel
import TesselTestSupport

@Suite struct VectorMathTests {
    /// Relative error against libm's `exp` in Double, over the range a softmax uses and beyond.
    @Test func expMatchesLibm() {
        var generator = SeededGenerator(seed: 41)
        var worstSingle = 0.0, worstDouble = 0.0
        for range in [-1.0...1.0, -20.0...0.0, -87.0...88.0] {
            for _ in 0..<64 {
                var single = SIMD16<Float>(), double = SIMD16<Double>()
                for lane in 0..<16 {
                    double[lane] = Double.random(in: range, using: &generator)
                    single[lane] = Float(double[lane])
                }
                let e32 = VectorMath.exp(single), e64 = VectorMath.exp(double)
                for lane in 0..<16 {
                    let exact32 = Double.exp(Double(single[lane])), exact64 = Double.exp(double[lane])
                    worstSingle = max(worstSingle, abs(Double(e32[lane]) - exact32) / exact32)
                    worstDouble = max(worstDouble, abs(e64[lane] - exact64) / exact64)
                }
            }
        }
        #expect(worstSingle < 1.2e-7)  // 2 ulp of Float (measured 7.4e-8)
        #expect(worstDouble < 4.5e-16)  // 2 ulp of Double (measured 2.1e-16)
    }

    @Test func expSpecialValues() {
        let inputs: [Double] = [-.infinity, -1000, -745.5, -720, 0, 1, 709.7, 710, 1000, .infinity, .nan, -0.0, -104.5, -95]
        var double = SIMD16<Double>(repeating: 0), single = SIMD16<Float>(repeating: 0)
        for (lane, value) in inputs.enumerated() {
            double[lane] = value
            single[lane] = Float(value)
        }
        let e64 = VectorMath.exp(double), e32 = VectorMath.exp(single)
        for (lane, value) in inputs.enumerated() {
            let exact64 = Double.exp(value), exact32 = Float.exp(Float(value))
            if value.isNaN {
                #expect(e64[lane].isNaN && e32[lane].isNaN)
            } else {
                // Subnormal results may differ from libm in the last place of the subnormal.
                #expect(e64[lane] == exact64 || abs(e64[lane] - exact64) <= max(exact64 * 1e-15, 2 * Double.leastNonzeroMagnitude))
                #expect(e32[lane] == exact32 || abs(e32[lane] - exact32) <= max(exact32 * 2.5e-7, 2 * Float.leastNonzeroMagnitude))
            }
        }
        #expect(e64[0] == 0 && e32[0] == 0)
        #expect(e64[9] == .infinity && e32[9] == .infinity)
    }

    /// The fast path without its range check is `exp` bitwise for lanes within ±86, the
    /// bound itself included, whether the lanes beside them are in range (`exp` takes its
    /// fast path) or not (the clamped path).
    @Test func expInNormalRangeIsExpBitwise() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<256 {
            var inRange = SIMD16<Float>()
            for lane in 0..<16 {
                inRange[lane] = Float.random(in: -VectorMath.normalRange...VectorMath.normalRange, using: &generator)
            }
            inRange[1] = -VectorMath.normalRange
            inRange[2] = VectorMath.normalRange
            var mixed = inRange
            mixed[0] = -100
            let fast = VectorMath.expInNormalRange(inRange), checked = VectorMath.exp(inRange), clamped = VectorMath.exp(mixed)
            for lane in 0..<16 {
                #expect(fast[lane].bitPattern == checked[lane].bitPattern, "lane \(lane) of \(inRange)")
                if lane > 0 { #expect(fast[lane].bitPattern == clamped[lane].bitPattern, "lane \(lane) beside −100") }
            }
        }
    }

    /// The generic entry point dispatches to the type's own polynomial.
    @Test func genericEntryPointMatchesConcreteOnes() {
        let x = SIMD16<Double>((0..<16).map { Double($0) * -0.7 + 3 })
        let single = SIMD16<Float>((0..<16).map { Float($0) * -0.7 + 3 })
        func generic<T: TesselScalar>(_ v: SIMD16<T>) -> SIMD16<T> { VectorMath.exp(v) }
        #expect(generic(single) == VectorMath.exp(single))
        #expect(generic(x) == VectorMath.exp(x))
    }
}
