/// Philox-4×32-10, the counter-based random number generator of Salmon et al., "Parallel
/// random numbers: as easy as 1, 2, 3" (SC 2011), as published in Random123.
///
/// A generator is a 64-bit key (the seed). Its stream is a pure function of (seed, index):
/// element `i` of the stream is word `i % 4` of the Philox block for counter
/// `(lo32(i / 4), hi32(i / 4), 0, 0)`. So a dropout mask depends only on the seed and the
/// element index — the same bits for every tiling, tile order and thread count — and any tile
/// can start anywhere in the stream without generating what comes before.
///
/// `uniform(at:)` turns a word into a number in [0, 1) with 24 random bits, exactly
/// representable in both `Float` and `Double`, so Float32 and Float64 masks agree for a seed.
public struct Philox: Sendable, Equatable {
    /// The key words `(lo32(seed), hi32(seed))`.
    public let key: SIMD2<UInt32>

    /// The generator keyed by `seed`.
    public init(seed: UInt64) {
        key = SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    /// Random123's multipliers and Weyl key increments for Philox-4×32. Computed properties
    /// rather than stored globals so that the vector code sees literal constants (a stored
    /// global is loaded at run time, and a 64-bit multiply by an unknown value costs three).
    @usableFromInline static var multipliers: (UInt64, UInt64) { (0xD251_1F53, 0xCD9E_8D57) }
    @usableFromInline static var keyIncrements: SIMD2<UInt32> { SIMD2(0x9E37_79B9, 0xBB67_AE85) }
    /// Rounds of the Philox-4×32-10 variant.
    @usableFromInline static var rounds: Int { 10 }

    /// One Philox-4×32-10 block: the four output words for `counter` under `key`
    /// (Random123's `philox4x32(ctr, key)` with 10 rounds).
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter, k = key
        for round in 0..<rounds {
            if round > 0 { k &+= keyIncrements }
            let p0 = multipliers.0 * UInt64(c[0]), p1 = multipliers.1 * UInt64(c[2])
            c = SIMD4(UInt32(truncatingIfNeeded: p1 >> 32) ^ c[1] ^ k[0], UInt32(truncatingIfNeeded: p1),
                      UInt32(truncatingIfNeeded: p0 >> 32) ^ c[3] ^ k[1], UInt32(truncatingIfNeeded: p0))
        }
        return c
    }

    /// Word `index` of the stream: word `index % 4` of the block for counter `index / 4`.
    public func bits(at index: UInt64) -> UInt32 {
        let block = index / 4
        let counter = SIMD4<UInt32>(UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32), 0, 0)
        return Philox.block(counter: counter, key: key)[Int(index % 4)]
    }

    /// A uniform number in [0, 1) from the top 24 bits of word `index`: `(bits >> 8) / 2²⁴`.
    public func uniform(at index: UInt64) -> Double {
        Double(bits(at: index) >> 8) * 0x1p-24
    }

    /// The 24-bit integer threshold `t` with `uniform(at: i) < p ⟺ (bits(at: i) >> 8) < t`,
    /// for `p` in [0, 1]: `t = ⌈p · 2²⁴⌉`, exact because `p · 2²⁴` only shifts the exponent.
    public static func threshold(below p: Double) -> UInt32 {
        UInt32((p * 0x1p24).rounded(.up))
    }

    /// Stream words `16 · group ..< 16 · group + 16` (four consecutive blocks), in stream order;
    /// `group` < 2⁶⁰, so that the word indices fit in 64 bits.
    ///
    /// Vectorized across the four blocks: lanes `4j ..< 4j + 4` hold block `4 · group + j`.
    @inlinable @inline(__always)
    func words(group: UInt64) -> SIMD16<UInt32> {
        var state = Philox.counters(group: group), k = roundKey
        for round in 0..<Philox.rounds {
            if round > 0 { k &+= Philox.roundKeyIncrement }
            state = Philox.round(state, key: k)
        }
        return state
    }

    /// `words(group:)` for `group` and `group + 1`, their rounds interleaved: one group's
    /// rounds are a chain of dependent multiplies, and two chains keep the vector units busy.
    @inlinable @inline(__always)
    func words(groupPair group: UInt64) -> (SIMD16<UInt32>, SIMD16<UInt32>) {
        var first = Philox.counters(group: group), second = Philox.counters(group: group &+ 1), k = roundKey
        for round in 0..<Philox.rounds {
            if round > 0 { k &+= Philox.roundKeyIncrement }
            first = Philox.round(first, key: k)
            second = Philox.round(second, key: k)
        }
        return (first, second)
    }

    /// `words(group:)` for the four groups from `group` on, their rounds interleaved as in
    /// `words(groupPair:)`: four chains where two left the multipliers idle between rounds.
    @inlinable @inline(__always)
    func words(groupQuad group: UInt64) -> (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>) {
        var first = Philox.counters(group: group), second = Philox.counters(group: group &+ 1)
        var third = Philox.counters(group: group &+ 2), fourth = Philox.counters(group: group &+ 3), k = roundKey
        for round in 0..<Philox.rounds {
            if round > 0 { k &+= Philox.roundKeyIncrement }
            first = Philox.round(first, key: k)
            second = Philox.round(second, key: k)
            third = Philox.round(third, key: k)
            fourth = Philox.round(fourth, key: k)
        }
        return (first, second, third, fourth)
    }

    /// The counters of group `group`: 64-bit lane 2j holds counter words (c0, c1) of block
    /// 4 · group + j; lane 2j + 1 holds (c2, c3) = 0.
    @inlinable @inline(__always)
    static func counters(group: UInt64) -> SIMD16<UInt32> {
        let first = group &* 4
        return unsafeBitCast(SIMD8<UInt64>(first, 0, first &+ 1, 0, first &+ 2, 0, first &+ 3, 0), to: SIMD16<UInt32>.self)
    }

    /// The first round's key laid out as the vector rounds XOR it: (k0, 0, k1, 0) per block.
    @inlinable
    var roundKey: SIMD16<UInt32> {
        SIMD16(key[0], 0, key[1], 0, key[0], 0, key[1], 0, key[0], 0, key[1], 0, key[0], 0, key[1], 0)
    }

    /// The key increment between rounds in the `roundKey` layout.
    @inlinable
    static var roundKeyIncrement: SIMD16<UInt32> {
        let (w0, w1) = (keyIncrements[0], keyIncrements[1])
        return SIMD16(w0, 0, w1, 0, w0, 0, w1, 0, w0, 0, w1, 0, w0, 0, w1, 0)
    }

    /// One Philox round on four blocks. It multiplies words 0 and 2 of each block — the even
    /// 32-bit lanes of each 64-bit lane, which is exactly what a 32 × 32 → 64-bit vector
    /// multiply reads — and the permutation `(hi₁, lo₁, hi₀, lo₀)` of the products is a
    /// reversal within each block.
    @inlinable @inline(__always)
    static func round(_ state: SIMD16<UInt32>, key k: SIMD16<UInt32>) -> SIMD16<UInt32> {
        let multiplier = SIMD8<UInt64>(multipliers.0, multipliers.1, multipliers.0, multipliers.1,
                                       multipliers.0, multipliers.1, multipliers.0, multipliers.1)
        let wide = unsafeBitCast(state, to: SIMD8<UInt64>.self)
        // Per block, 32-bit lanes of `products`: (lo₀, hi₀, lo₁, hi₁).
        let products = unsafeBitCast((wide & 0xFFFF_FFFF) &* multiplier, to: SIMD16<UInt32>.self)
        // Per block: (c1, 0, c3, 0).
        let odd = unsafeBitCast(wide &>> 32, to: SIMD16<UInt32>.self)
        return reverseWithinBlocks(products) ^ odd ^ k
    }

    /// `(a, b, c, d)` → `(d, c, b, a)` in each group of four lanes (one in-lane shuffle).
    @inlinable @inline(__always)
    static func reverseWithinBlocks(_ v: SIMD16<UInt32>) -> SIMD16<UInt32> {
        var result = SIMD16<UInt32>()
        for i in 0..<16 { result[i] = v[i ^ 3] }
        return result
    }
}
