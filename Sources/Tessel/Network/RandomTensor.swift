import RealModule

/// The seeded random numbers of a network and its data: initial weights, random batches,
/// the validation split and the epoch shuffles. Every value comes from the counter-based
/// `Philox` generator, so it depends only on the seed and the value's index: the same bits on
/// every machine and for every thread count.
enum RandomTensor {
    /// A seed for the independent stream `stream` of `seed` (SplitMix64's finalizer over both).
    static func seed(_ seed: UInt64, stream: UInt64) -> UInt64 {
        var z = seed &+ (stream &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `scale · randn(shape)`: element `i` is a Box–Muller normal from stream words `2i`, `2i + 1`.
    /// - Throws: `TesselError.invalidShape` for a bad shape.
    static func normal<T: TesselScalar>(shape: [Int], scale: Double, seed: UInt64) throws -> Tensor<T> {
        let generator = Philox(seed: seed)
        var tensor = try Tensor<T>(shape: shape)
        tensor.withUnsafeMutableBufferPointer { values in
            for i in values.indices {
                let u1 = 1 - generator.uniform(at: UInt64(2 * i)), u2 = generator.uniform(at: UInt64(2 * i + 1))
                values[i] = T(scale * (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * .pi * u2))
            }
        }
        return tensor
    }

    /// `count` integers drawn uniformly from `0 ..< bound`.
    static func integers(count: Int, below bound: Int, seed: UInt64) -> [Int] {
        let generator = Philox(seed: seed)
        return (0..<count).map { below(bound, generator.bits(at: UInt64($0))) }
    }

    /// A permutation of `0 ..< count` (Fisher–Yates, one stream word per swap).
    static func permutation(count: Int, seed: UInt64) -> [Int] {
        let generator = Philox(seed: seed)
        var indices = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            indices.swapAt(i, below(i + 1, generator.bits(at: UInt64(i))))
        }
        return indices
    }

    /// A number in `0 ..< bound` from a 32-bit word (multiply-shift; `bound` ≤ 2³²).
    private static func below(_ bound: Int, _ word: UInt32) -> Int {
        Int((UInt64(word) &* UInt64(bound)) >> 32)
    }
}
