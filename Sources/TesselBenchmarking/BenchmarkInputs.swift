import Tessel

/// Seeded inputs for the benchmark workloads: the same seed gives the same values on every
/// machine and every run, so timings of different builds see the same data.
public enum BenchmarkInputs {
    /// A tensor of `shape` with values uniform in [-1, 1), from a SplitMix64 stream keyed by `seed`.
    /// - Throws: `TesselError.invalidShape` or `.outOfMemory` as `Tensor.init` does.
    public static func uniform(_ shape: [Int], seed: UInt64) throws -> Tensor<Float> {
        var stream = SplitMix64(seed: seed)
        var tensor = try Tensor<Float>(shape: shape)
        tensor.withUnsafeMutableBufferPointer { values in
            for i in values.indices {
                // 24 random bits give every Float in [0, 1) on a grid of 2⁻²⁴.
                values[i] = Float(stream.next() >> 40) * 0x1p-23 - 1
            }
        }
        return tensor
    }

    /// `count` class labels, uniform in `0 ..< classes`, keyed by `seed`.
    public static func labels(count: Int, classes: Int, seed: UInt64) -> [Int] {
        precondition(count >= 0 && classes >= 1, "labels need count ≥ 0 and classes ≥ 1")
        var stream = SplitMix64(seed: seed)
        return (0..<count).map { _ in Int(stream.next() % UInt64(classes)) }
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny, fast generator whose stream is fixed by
/// its seed. Good enough for benchmark data; not for anything statistical.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
