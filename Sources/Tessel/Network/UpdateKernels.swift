/// The vectorized inner loops of the update rules, over raw pointers to one tile's range.
///
/// Each loop walks 16 lanes at a time; the last, partial vector is padded with zeros in
/// registers and only its `lanes` valid lanes are stored back, so every rule's arithmetic is
/// written once. The formulas follow CS231n's `optim.py` line by line.
enum UpdateKernels {
    /// The `lanes` (≤ 16) values at `p`, zero-padded.
    @inlinable
    static func load<T: TesselScalar>(_ p: UnsafePointer<T>, lanes: Int) -> SIMD16<T> {
        if lanes == 16 { return p.load16() }
        var v = SIMD16<T>(repeating: 0)
        for lane in 0..<lanes { v[lane] = p[lane] }
        return v
    }

    /// Stores the first `lanes` (≤ 16) lanes of `v` at `p`.
    @inlinable
    static func store<T: TesselScalar>(_ v: SIMD16<T>, _ p: UnsafeMutablePointer<T>, lanes: Int) {
        if lanes == 16 { p.store(v); return }
        for lane in 0..<lanes { p[lane] = v[lane] }
    }

    /// `w -= learning_rate * dw`.
    @inlinable
    static func sgd<T: TesselScalar>(w: UnsafeMutablePointer<T>, dw: UnsafePointer<T>, count: Int, learningRate: T) {
        var i = 0
        while i < count {
            let lanes = min(16, count - i)
            store(load(w + i, lanes: lanes).addingProduct(-learningRate, load(dw + i, lanes: lanes)), w + i, lanes: lanes)
            i += 16
        }
    }

    /// `v = momentum * v - learning_rate * dw; w += v`.
    @inlinable
    static func sgdMomentum<T: TesselScalar>(w: UnsafeMutablePointer<T>, dw: UnsafePointer<T>, velocity: UnsafeMutablePointer<T>,
                                             count: Int, learningRate: T, momentum: T) {
        var i = 0
        while i < count {
            let lanes = min(16, count - i)
            let v = (momentum * load(velocity + i, lanes: lanes)).addingProduct(-learningRate, load(dw + i, lanes: lanes))
            store(v, velocity + i, lanes: lanes)
            store(load(w + i, lanes: lanes) + v, w + i, lanes: lanes)
            i += 16
        }
    }

    /// `cache = decay_rate * cache + (1 - decay_rate) * dw²; w -= learning_rate * dw / (√cache + ε)`.
    @inlinable
    static func rmsprop<T: TesselScalar>(w: UnsafeMutablePointer<T>, dw: UnsafePointer<T>, cache: UnsafeMutablePointer<T>,
                                         count: Int, learningRate: T, decayRate: T, epsilon: T) {
        let keep = 1 - decayRate
        var i = 0
        while i < count {
            let lanes = min(16, count - i)
            let g = load(dw + i, lanes: lanes)
            let c = (decayRate * load(cache + i, lanes: lanes)).addingProduct(keep * g, g)
            store(c, cache + i, lanes: lanes)
            store(load(w + i, lanes: lanes) - learningRate * g / (c.squareRoot() + epsilon), w + i, lanes: lanes)
            i += 16
        }
    }

    /// One Adam step with `t` already incremented: `m = β₁m + (1 − β₁)dw; mt = m / (1 − β₁ᵗ);
    /// v = β₂v + (1 − β₂)dw²; vt = v / (1 − β₂ᵗ); w -= learning_rate · mt / (√vt + ε)`.
    /// `correction1` and `correction2` are `1 − β₁ᵗ` and `1 − β₂ᵗ`.
    @inlinable
    static func adam<T: TesselScalar>(w: UnsafeMutablePointer<T>, dw: UnsafePointer<T>, m: UnsafeMutablePointer<T>,
                                      v: UnsafeMutablePointer<T>, count: Int, learningRate: T, beta1: T, beta2: T,
                                      epsilon: T, correction1: T, correction2: T) {
        let keep1 = 1 - beta1, keep2 = 1 - beta2
        var i = 0
        while i < count {
            let lanes = min(16, count - i)
            let g = load(dw + i, lanes: lanes)
            let first = (beta1 * load(m + i, lanes: lanes)).addingProduct(keep1, g)
            let second = (beta2 * load(v + i, lanes: lanes)).addingProduct(keep2 * g, g)
            store(first, m + i, lanes: lanes)
            store(second, v + i, lanes: lanes)
            let mt = first / correction1, vt = second / correction2
            store(load(w + i, lanes: lanes) - learningRate * mt / (vt.squareRoot() + epsilon), w + i, lanes: lanes)
            i += 16
        }
    }
}
