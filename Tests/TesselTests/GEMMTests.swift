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

    /// Whole panels of NR, a tail of at most NR/2 columns as a half panel.
    @Test func computedColumnsCountHalfPanels() {
        let nr = GEMM.microColumns(Float.self), half = nr / 2
        #expect(GEMM.computedColumns(3 * nr, Float.self) == 3 * nr)
        #expect(GEMM.computedColumns(3 * nr + 1, Float.self) == 3 * nr + half)
        #expect(GEMM.computedColumns(3 * nr + half, Float.self) == 3 * nr + half)
        #expect(GEMM.computedColumns(3 * nr + half + 1, Float.self) == 4 * nr)
        #expect(GEMM.computedColumns(1, Float.self) == half)
        #expect(GEMM.computedColumns(1, Double.self) == GEMM.microColumns(Double.self) / 2)
    }

    /// A tile's last micro-panel of at most `NR/2` columns runs the half micro-kernel; its
    /// columns are the same bits as the full kernel gives them in a wider product whose B has
    /// the same first columns (every element is one FMA chain whatever the kernel's shape).
    @Test(arguments: [1, 5, 8])
    func halfPanelColumnsMatchFullPanels(tail: Int) throws {
        try checkHalfPanelColumns(tail: tail, as: Float.self)
        try checkHalfPanelColumns(tail: tail, as: Double.self)
    }

    func checkHalfPanelColumns<T: TesselScalar>(tail: Int, as _: T.Type) throws {
        let nr = GEMM.microColumns(T.self)
        let m = 2 * GEMM.microRows + 3, depth = 300, n = nr + min(tail, nr / 2), wide = 2 * nr
        let a = try TestData.normal([m, depth], seed: 61, as: T.self)
        let b = try TestData.normal([depth, wide], seed: 62, as: T.self)
        func product(columns: Int, _ scheduler: Scheduler) throws -> [T] {
            var c = [T](repeating: .nan, count: m * columns)
            try a.withUnsafeBufferPointer { a in
                try b.withUnsafeBufferPointer { b in
                    try c.withUnsafeMutableBufferPointer { c in
                        try GEMM.multiply(.rowMajor(a.baseAddress!, leadingDimension: depth), .rowMajor(b.baseAddress!, leadingDimension: wide),
                                          into: c.baseAddress!, ldc: columns, m: m, n: columns, depth: depth, scheduler: scheduler)
                    }
                }
            }
            return c
        }
        let full = try product(columns: wide, .serial)
        for scheduler in [Scheduler.serial, try Scheduler(workers: 2, grainSize: 0, tiles: determinismTileSettings[0])] {
            let narrow = try product(columns: n, scheduler)
            for i in 0..<m {
                for j in 0..<n {
                    let (x, y) = (narrow[i * n + j], full[i * wide + j])
                    #expect(x.isFinite && x == y && x.sign == y.sign, "C[\(i), \(j)]: \(x) against \(y)")
                }
            }
        }
    }
}
