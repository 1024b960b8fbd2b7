import Tessel

/// A small, seeded generator (SplitMix64) so every test input is reproducible.
package struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

package enum TestData {
    /// Uniform values in `range`, reproducible from `seed`.
    package static func uniform<T: TesselScalar>(_ shape: [Int], in range: ClosedRange<Double> = -1...1,
                                                 seed: UInt64 = 1, as _: T.Type = T.self) throws -> Tensor<T> {
        var generator = SeededGenerator(seed: seed)
        let count = try Shape.elementCount(shape)
        return try Tensor(shape: shape, scalars: (0..<count).map { _ in T(Double.random(in: range, using: &generator)) })
    }

    /// Standard normal values (Box–Muller), reproducible from `seed`.
    package static func normal<T: TesselScalar>(_ shape: [Int], scale: Double = 1, mean: Double = 0, seed: UInt64 = 1,
                                                as _: T.Type = T.self) throws -> Tensor<T> {
        var generator = SeededGenerator(seed: seed)
        let count = try Shape.elementCount(shape)
        let values = (0..<count).map { _ -> T in
            let u1 = Double.random(in: Double.ulpOfOne...1, using: &generator)
            let u2 = Double.random(in: 0...1, using: &generator)
            return T(mean + scale * (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * .pi * u2))
        }
        return try Tensor(shape: shape, scalars: values)
    }

    /// NumPy's `linspace(a, b, count).reshape(shape)` (both ends included).
    package static func linspace<T: TesselScalar>(_ a: Double, _ b: Double, shape: [Int], as _: T.Type = T.self) throws -> Tensor<T> {
        let count = try Shape.elementCount(shape)
        let step = count > 1 ? (b - a) / Double(count - 1) : 0
        return try Tensor(shape: shape, scalars: (0..<count).map { T(a + Double($0) * step) })
    }
}
