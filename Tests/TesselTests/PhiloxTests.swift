import Testing
@testable import Tessel

@Suite struct PhiloxTests {
    /// Random123's published known-answer vectors for philox4x32 with 10 rounds
    /// (also reproduced by an independent Python implementation of the algorithm).
    @Test(arguments: [
        (SIMD4<UInt32>(0, 0, 0, 0), SIMD2<UInt32>(0, 0),
         SIMD4<UInt32>(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8)),
        (SIMD4<UInt32>(0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF), SIMD2<UInt32>(0xFFFF_FFFF, 0xFFFF_FFFF),
         SIMD4<UInt32>(0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD)),
        (SIMD4<UInt32>(0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344), SIMD2<UInt32>(0xA409_3822, 0x299F_31D0),
         SIMD4<UInt32>(0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1)),
    ])
    func knownAnswers(counter: SIMD4<UInt32>, key: SIMD2<UInt32>, expected: SIMD4<UInt32>) {
        #expect(Philox.block(counter: counter, key: key) == expected)
    }

    /// The stream layout: key = (lo32(seed), hi32(seed)), element i = word i % 4 of counter
    /// (lo32(i / 4), hi32(i / 4), 0, 0). Values from the Python implementation.
    @Test func streamLayout() {
        let generator = Philox(seed: 0x0123_4567_89AB_CDEF)
        #expect(generator.key == SIMD2(0x89AB_CDEF, 0x0123_4567))
        let first: [UInt32] = [0xB850_222E, 0xC58C_B04B, 0x14A7_A020, 0x7A84_FFF9, 0xADCA_1466, 0x523E_0D85, 0x6540_1425, 0xB299_DA3F]
        #expect((0..<8).map { generator.bits(at: UInt64($0)) } == first)
        // Block 2³² + 5 exercises the high counter word.
        let high: [UInt32] = [0xB8B2_43F7, 0xDA8F_B9A8, 0x4600_4299, 0xE54C_389C]
        let base = ((UInt64(1) << 32) + 5) * 4
        #expect((0..<4).map { generator.bits(at: base + UInt64($0)) } == high)
    }

    /// The vectorized path gives the scalar path's words, also where the low counter word wraps.
    @Test(arguments: [0, 1, 7, (1 << 30) - 1, 1 << 30, (1 << 40) + 3, UInt64.max / 16] as [UInt64])
    func vectorizedMatchesScalar(group: UInt64) {
        for seed: UInt64 in [0, 42, 0xFFFF_FFFF_FFFF_FFFF] {
            let generator = Philox(seed: seed)
            let words = generator.words(group: group)
            for lane in 0..<16 {
                #expect(words[lane] == generator.bits(at: group &* 16 &+ UInt64(lane)))
            }
        }
    }

    @Test(arguments: [0, 5, (1 << 30) - 1] as [UInt64])
    func pairedGroupsMatchSingleGroups(group: UInt64) {
        let generator = Philox(seed: 0xDEAD_BEEF_CAFE)
        let (first, second) = generator.words(groupPair: group)
        #expect(first == generator.words(group: group))
        #expect(second == generator.words(group: group + 1))
    }

    @Test(arguments: [0, 5, (1 << 30) - 3] as [UInt64])
    func quadrupledGroupsMatchSingleGroups(group: UInt64) {
        let generator = Philox(seed: 0xDEAD_BEEF_CAFE)
        let (first, second, third, fourth) = generator.words(groupQuad: group)
        #expect(first == generator.words(group: group))
        #expect(second == generator.words(group: group + 1))
        #expect(third == generator.words(group: group + 2))
        #expect(fourth == generator.words(group: group + 3))
    }

    @Test func uniformHas24BitsInUnitInterval() {
        let generator = Philox(seed: 7)
        for i in UInt64(0)..<256 {
            let u = generator.uniform(at: i)
            #expect(u >= 0 && u < 1)
            #expect(u * 0x1p24 == (u * 0x1p24).rounded())
            #expect(u == Double(generator.bits(at: i) >> 8) / 16_777_216)
            #expect(Double(Float(u)) == u)
        }
    }

    /// `(bits >> 8) < threshold(p)` decides exactly like `uniform < p`, at and around the cut.
    @Test(arguments: [1.0, 0.5, 0.3, 1e-9, 0.999_999_99, 0x1p-24, 3 * 0x1p-24])
    func thresholdMatchesUniformComparison(p: Double) {
        let t = Philox.threshold(below: p)
        #expect(t <= 1 << 24)
        for k in [Int64(t) - 2, Int64(t) - 1, Int64(t), Int64(t) + 1] where k >= 0 && k < 1 << 24 {
            #expect((UInt32(k) < t) == (Double(k) * 0x1p-24 < p))
        }
    }
}
