import Testing
@testable import Tessel
import TesselTestSupport

/// The reference backend of the kinds that fuse a ReLU and a dropout in their own passes (layer
/// norm, group norm; `ReLUFusingKind`): the serial layer, the serial ReLU and the fused
/// dropout's element rule give what the tiled chain gives, up to the layers' rounding, with the
/// same dropout mask.
@Suite struct FusedChainReferenceTests {
    static func expectReferenceMatchesTiled(_ kind: some ReLUFusingKind, shape: [Int], parameterShape: [Int]) throws {
        let x = try TestData.normal(shape, scale: 2, mean: 1, seed: 41, as: Double.self)
        let gamma = try TestData.uniform(parameterShape, in: 0.5...2, seed: 42, as: Double.self)
        let beta = try TestData.uniform(parameterShape, seed: 43, as: Double.self)
        let dout = try TestData.uniform(shape, seed: 44, as: Double.self)
        var outputs: [(relu: Tensor<Double>, dropout: Tensor<Double>, dx: Tensor<Double>, gradients: [Tensor<Double>])] = []
        for backend in [Backend.reference, .tiled(try Scheduler(workers: 2, grainSize: 0))] {
            var context = LayerContext<Double>(mode: .train, statistics: nil, seed: 0, firstRow: 0)
            var dropped = try Tensor<Double>(shape: shape)
            let (relu, record) = try dropped.withUnsafeMutableBufferPointer { buffer in
                try kind.forwardApplyingReLU(x, parameters: [gamma, beta],
                                             dropout: FusedDropout(keep: 0.6, seed: 7, firstIndex: 3, output: buffer.baseAddress!),
                                             context: &context, backend: backend)
            }
            let mask = ChainMask(reluOutput: relu, dropoutOutput: dropped, keep: 0.6)
            let (dx, gradients) = try kind.backwardThroughReLU(dout, mask: mask, record: record, parameters: [gamma, beta], backend: backend)
            outputs.append((relu, dropped, dx, gradients))
        }
        let (reference, tiled) = (outputs[0], outputs[1])
        for (name, a, b) in [("ReLU output", reference.relu, tiled.relu), ("dropout output", reference.dropout, tiled.dropout),
                             ("dx", reference.dx, tiled.dx), ("dgamma", reference.gradients[0], tiled.gradients[0]),
                             ("dbeta", reference.gradients[1], tiled.gradients[1])] {
            let (a, b) = (a.withUnsafeBufferPointer { Array($0) }, b.withUnsafeBufferPointer { Array($0) })
            #expect(a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($1)) }, "\(kind): \(name)")
        }
        let dropped = tiled.dropout.withUnsafeBufferPointer { values in values.indices.filter { values[$0] == 0 }.count }
        #expect(dropped > 0 && dropped < tiled.dropout.count, "\(kind): the dropout dropped some elements and kept others")
    }

    @Test func layerNormReferenceChainMatchesTiled() throws {
        try Self.expectReferenceMatchesTiled(LayerNormKind(epsilon: 1e-5), shape: [7, 37], parameterShape: [37])
    }

    @Test func groupNormReferenceChainMatchesTiled() throws {
        try Self.expectReferenceMatchesTiled(GroupNormKind(groups: 2, epsilon: 1e-5), shape: [3, 4, 5, 6], parameterShape: [4])
    }
}
