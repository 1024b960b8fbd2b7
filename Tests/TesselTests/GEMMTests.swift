import Testing
@testable import Tessel
import TesselTestSupport

@Suite struct GEMMTests {
    @Test(arguments: [1, 5, 255, 256, 257, 513, 1000])
    func depthBlocksCoverTheDepthInOrder(depth: Int) {
        let blocks = GEMM.depthBlocks(depth)
        #expect(blocks.count == (depth + GEMM.maxDepthBlock - 1) / GEMM.maxDepthBlock)
        var next = 0
        for (index, block) in blocks.enumerated() {
            #expect(block.index == index && block.start == next)
            #expect(block.count >= 1 && block.count <= GEMM.maxDepthBlock)
            #expect(block.count - blocks[blocks.count - 1].count <= 1)
            next += block.count
        }
        #expect(next == depth)
        #expect(GEMM.depthBlocks(0).isEmpty)
    }

    /// `A · B` with each operand read as stored or transposed, over three depth blocks, against
    /// a plain triple loop in Double; the same bits for every scheduler.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func multiplyMatchesNaiveProduct(transposeA: Bool, transposeB: Bool) throws {
        let m = 7, n = 19, depth = 513
        let a = try TestData.normal(transposeA ? [depth, m] : [m, depth], seed: 51, as: Float.self)
        let b = try TestData.normal(transposeB ? [n, depth] : [depth, n], seed: 52, as: Float.self)
        let bias = try TestData.normal([n], seed: 53, as: Float.self)
        var expected = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for k in 0..<depth {
                    let x = transposeA ? a[k, i] : a[i, k], y = transposeB ? b[j, k] : b[k, j]
                    sum += Double(x) * Double(y)
                }
                expected[i * n + j] = sum + Double(bias[j])
            }
        }
        func product(_ scheduler: Scheduler) throws -> Tensor<Float> {
            var c = try Tensor<Float>(shape: [m, n])
            try a.withUnsafeBufferPointer { a in
                try b.withUnsafeBufferPointer { b in
                    try bias.withUnsafeBufferPointer { bias in
                        try c.withUnsafeMutableBufferPointer { c in
                            let left: GEMM.Operand<Float> = transposeA ? .transposed(a.baseAddress!, leadingDimension: m)
                                : .rowMajor(a.baseAddress!, leadingDimension: depth)
                            let right: GEMM.Operand<Float> = transposeB ? .transposed(b.baseAddress!, leadingDimension: depth)
                                : .rowMajor(b.baseAddress!, leadingDimension: n)
                            try GEMM.multiply(left, right, into: c.baseAddress!, ldc: n, m: m, n: n, depth: depth,
                                              columnBias: bias.baseAddress!, scheduler: scheduler)
                        }
                    }
                }
            }
            return c
        }
        let c = try product(.serial)
        #expect(normwiseRelativeError(try c.converted(to: Double.self), try Tensor(shape: [m, n], scalars: expected)) < 1e-6)
        for scheduler in [try Scheduler(workers: 3, grainSize: 0),
                          try Scheduler(workers: 2, grainSize: 0, tiles: determinismTileSettings[0])] {
            #expect(try product(scheduler).isBitwiseEqual(to: c))
        }
    }
}
