import Testing
@testable import Tessel
import TesselTestSupport

/// `ChainMask`, the backward of a ReLU and a dropout fused after a normalization, gives the bits
/// of the two layers' backwards run one after the other, from the ReLU's and the dropout's
/// outputs alone (no mask tensor), at the edges of both rules.
@Suite struct ChainMaskTests {
    /// ReLU outputs of +∞ (whose dropped output is NaN), 0, NaN, the smallest subnormal and
    /// ordinary values; douts of ±∞, NaN, −0 and negative values (whose products with a dropped
    /// element's 0 are −0 or NaN); 37 elements, so vectors and a tail.
    static func expectTheLayersBits<T: TesselScalar>(as _: T.Type, keep: Double) throws {
        let count = 37
        let reluValues: [T] = [.infinity, 1.5, 0, .nan, .leastNonzeroMagnitude, 3, 0.25, .infinity, 2]
        let doutValues: [T] = [-2, .infinity, .nan, 1, -0.0, 0.5, -.infinity]
        let reluOutput = try Tensor<T>(shape: [count], scalars: (0..<count).map { reluValues[$0 % reluValues.count] })
        let dout = try Tensor<T>(shape: [count], scalars: (0..<count).map { doutValues[$0 % doutValues.count] })
        let parameters = Dropout.Parameters(p: keep, mode: .train, seed: 11)
        let (dropoutOutput, dropoutMask) = try Dropout.forward(x: reluOutput, parameters: parameters, scheduler: .serial)
        let mask = try #require(dropoutMask)
        let dropped = (0..<count).filter { mask[flat: $0] == 0 }
        #expect(dropped.contains { reluOutput[flat: $0] == .infinity } && dropped.count < count,
                "the seed drops a +∞ and keeps something")
        let expected = try ReLU.backward(dout: try Dropout.backward(dout: dout, mask: mask, parameters: parameters, scheduler: .serial),
                                         x: reluOutput, scheduler: .serial)
        let chain = ChainMask(reluOutput: reluOutput, dropoutOutput: dropoutOutput, keep: keep)
        #expect(try chain.applied(to: dout).isBitwiseEqual(to: expected), "\(T.self), keep \(keep)")
        // A span that starts inside a vector, through `FusedChain.span`.
        var scratch = [T](repeating: 7, count: count - 3)
        ChainMask.withPointers(chain) { pointers in
            withBaseAddresses(dout) { dout in
                scratch.withUnsafeMutableBufferPointer {
                    _ = FusedChain.span(dout, mask: pointers, offset: 3, count: count - 3, scratch: $0.baseAddress!)
                }
            }
        }
        let expectedSpan = try Tensor(shape: [count - 3], scalars: (3..<count).map { expected[flat: $0] })
        #expect(try Tensor(shape: [count - 3], scalars: scratch).isBitwiseEqual(to: expectedSpan), "\(T.self): span")
    }

    @Test(arguments: [0.5, 0.75])
    func chainMaskGivesTheBitsOfTheLayers(keep: Double) throws {
        try Self.expectTheLayersBits(as: Float.self, keep: keep)
        try Self.expectTheLayersBits(as: Double.self, keep: keep)
    }
}
