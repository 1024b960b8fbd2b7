import Testing
@testable import Tessel
import TesselTestSupport

/// The reduction kernels the normalization layers are built from, tested on their own (the
/// layer suites reach them only through whole layers): `SpanSums`, `ColumnSums`,
/// `CenteredAffine` and `ChunkPartials`, on lengths around the 16-lane vectors (the vector
/// body, the scalar tail, and both), in Float32 and Float64. Besides the values, each test
/// checks the claim the layers' bitwise determinism rests on, as the kernel's doc comment
/// states it: the same operations, so the same bits.
@Suite struct ReductionKernelTests {
    /// Span lengths: empty, tail only, one vector, vector and tail, several vectors and a tail.
    static let lengths = [0, 1, 7, 15, 16, 17, 33, 47, 100]

    static func values<T: TesselScalar>(_ count: Int, seed: UInt64, in range: ClosedRange<Double> = -2...3,
                                        as _: T.Type = T.self) -> [T] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in T(Double.random(in: range, using: &generator)) }
    }

    /// The bit patterns of `values` (widened to Double exactly, so Float32's bits are kept).
    static func bits<T: TesselScalar>(_ values: [T]) -> [UInt64] { values.map { Double($0).bitPattern } }

    // MARK: SpanSums

    @Test(arguments: lengths)
    func spanSumsAreTheSumsAndIndependentOfAddress(count: Int) {
        Self.checkSpanSums(count, as: Float.self)
        Self.checkSpanSums(count, as: Double.self)
    }

    static func checkSpanSums<T: TesselScalar>(_ count: Int, as _: T.Type) {
        let x: [T] = values(count, seed: 1), dout: [T] = values(count, seed: 2)
        let mean = 0.37
        let exact = x.reduce(0.0) { $0 + Double($1) }
        let centered = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
        let dSum = dout.reduce(0.0) { $0 + Double($1) }
        let dCentered = zip(dout, x).reduce(0.0) { $0 + Double($1.0) * (Double($1.1) - mean) }
        let px = Buffer(x), pg = Buffer(dout)
        defer { px.free(); pg.free() }
        let sum = SpanSums.sum(px.start, count: count)
        let squares = SpanSums.centeredSquares(px.start, count: count, mean: mean)
        let gradient = SpanSums.gradientSums(dout: pg.start, x: px.start, count: count, mean: mean)
        let scale = Double(max(count, 1)) * 1e-15 * 9
        #expect(abs(sum - exact) <= scale, "sum of \(count)")
        #expect(abs(squares - centered) <= scale * 9, "centered squares of \(count)")
        #expect(abs(gradient.dout - dSum) <= scale && abs(gradient.doutCentered - dCentered) <= scale * 9, "gradient sums of \(count)")
        // The order of the additions depends only on the length: the same span at another
        // address (a tile that starts elsewhere, another alignment) gives the same bits.
        for shift in [1, 3, 8] {
            let moved = Buffer([T](repeating: 0, count: shift) + x), movedDout = Buffer([T](repeating: 0, count: shift) + dout)
            defer { moved.free(); movedDout.free() }
            let p = moved.start + shift, g = movedDout.start + shift
            #expect(SpanSums.sum(p, count: count).bitPattern == sum.bitPattern)
            #expect(SpanSums.centeredSquares(p, count: count, mean: mean).bitPattern == squares.bitPattern)
            let again = SpanSums.gradientSums(dout: g, x: p, count: count, mean: mean)
            #expect(again.dout.bitPattern == gradient.dout.bitPattern && again.doutCentered.bitPattern == gradient.doutCentered.bitPattern)
        }
    }

    // MARK: ColumnSums

    /// Row blockings of `rows` rows: one block, single rows, and uneven blocks.
    static func blockings(_ rows: Int) -> [[Int]] {
        var result = [[rows], Array(repeating: 1, count: rows)]
        for size in [2, 3, 5] where size < rows {
            result.append(Array(repeating: size, count: rows / size) + (rows % size > 0 ? [rows % size] : []))
        }
        return result
    }

    @Test(arguments: [(1, 1), (5, 16), (7, 17), (4, 33), (9, 47)])
    func columnSumsAreRowByRowSumsWhateverTheBlocking(rows: Int, width: Int) {
        Self.checkColumnSums(rows: rows, width: width, as: Float.self)
        Self.checkColumnSums(rows: rows, width: width, as: Double.self)
    }

    static func checkColumnSums<T: TesselScalar>(rows: Int, width: Int, as _: T.Type) {
        let stride = width + 3  // rows apart by more than the width, as a column range of a wider matrix is
        let x = Buffer<T>(values(rows * stride, seed: 3)), dout = Buffer<T>(values(rows * stride, seed: 4))
        let mean = Buffer<Double>(values(width, seed: 5, in: -0.5...0.5))
        defer { x.free(); dout.free(); mean.free() }
        // Each column updated row after row in row order, one IEEE operation per row.
        var sums = [Double](repeating: 0, count: width), squares = sums
        var gradientDout = sums, gradientProduct = sums, gradientCentered = sums
        for r in 0..<rows {
            for j in 0..<width {
                let v = Double(x[r * stride + j]), g = Double(dout[r * stride + j]), d = v - mean[j]
                sums[j] += v
                squares[j].addProduct(d, d)
                gradientDout[j] += g
                gradientProduct[j].addProduct(g, d)
                gradientCentered[j] += d
            }
        }
        for blocks in blockings(rows) {
            // A column range starting at 0 and ranges starting off the vector boundary.
            for columns in [0..<width, 0..<(width / 2), (width / 2)..<width, min(1, width)..<width] {
                let zeros = [Double](repeating: 0, count: width)
                let acc = Buffer(zeros), squaresAcc = Buffer(zeros), doutAcc = Buffer(zeros), productAcc = Buffer(zeros)
                let centeredAcc = Buffer(zeros), doutOnly = Buffer(zeros), productOnly = Buffer(zeros)
                defer { for buffer in [acc, squaresAcc, doutAcc, productAcc, centeredAcc, doutOnly, productOnly] { buffer.free() } }
                var first = 0
                for block in blocks {
                    let offset = first * stride + columns.lowerBound, j = columns.lowerBound, n = columns.count
                    let (xj, gj, m) = (x.start + offset, dout.start + offset, mean.start + j)
                    ColumnSums.accumulate(xj, rows: block, rowStride: stride, into: acc.start + j, count: n)
                    ColumnSums.accumulateCenteredSquares(xj, rows: block, rowStride: stride, mean: m, into: squaresAcc.start + j, count: n)
                    ColumnSums.accumulateGradientSums(dout: gj, x: xj, rows: block, rowStride: stride, mean: m,
                                                      sumDout: doutAcc.start + j, sumDoutCentered: productAcc.start + j,
                                                      sumCentered: centeredAcc.start + j, count: n)
                    ColumnSums.accumulateGradientSums(dout: gj, x: xj, rows: block, rowStride: stride, mean: m,
                                                      sumDout: doutOnly.start + j, sumDoutCentered: productOnly.start + j,
                                                      sumCentered: nil, count: n)
                    first += block
                }
                let label = "\(T.self) \(rows)×\(width), blocks \(blocks), columns \(columns)"
                let expected = { (all: [Double]) in Self.bits(Array(all[columns])) }
                #expect(Self.bits(acc.array(columns)) == expected(sums), "sums, \(label)")
                #expect(Self.bits(squaresAcc.array(columns)) == expected(squares), "centered squares, \(label)")
                #expect(Self.bits(doutAcc.array(columns)) == expected(gradientDout), "Σ dout, \(label)")
                #expect(Self.bits(productAcc.array(columns)) == expected(gradientProduct), "Σ dout·d, \(label)")
                #expect(Self.bits(centeredAcc.array(columns)) == expected(gradientCentered), "Σ d, \(label)")
                #expect(Self.bits(doutOnly.array(columns)) == expected(gradientDout), "Σ dout without Σ d, \(label)")
                #expect(Self.bits(productOnly.array(columns)) == expected(gradientProduct), "Σ dout·d without Σ d, \(label)")
            }
        }
    }

    // MARK: CenteredAffine

    @Test(arguments: lengths)
    func centeredAffineIsItsFormulaWhereverATileStarts(count: Int) {
        Self.checkCenteredAffine(count, as: Float.self)
        Self.checkCenteredAffine(count, as: Double.self)
    }

    static func checkCenteredAffine<T: TesselScalar>(_ count: Int, as _: T.Type) {
        let x = Buffer<T>(values(count, seed: 6)), dout = Buffer<T>(values(count, seed: 7))
        let mean = Buffer<T>(values(count, seed: 8, in: -0.5...0.5)), scale = Buffer<T>(values(count, seed: 9))
        let shift = Buffer<T>(values(count, seed: 10)), a = Buffer<T>(values(count, seed: 11))
        let b = Buffer<T>(values(count, seed: 12)), c = Buffer<T>(values(count, seed: 13))
        defer { for buffer in [x, dout, mean, scale, shift, a, b, c] { buffer.free() } }
        // The formulas in the element type with fused multiply-adds, one element at a time.
        let forward = (0..<count).map { shift[$0].addingProduct(x[$0] - mean[$0], scale[$0]) }
        let backward = (0..<count).map { c[$0].addingProduct(x[$0] - mean[$0], b[$0]).addingProduct(dout[$0], a[$0]) }
        let (m, s, sh, ca, cb, cc) = (T(0.375), T(1.25), T(-0.5), T(0.75), T(-1.5), T(0.125))
        let scalarForward = (0..<count).map { sh.addingProduct(x[$0] - m, s) }
        let scalarBackward = (0..<count).map { cc.addingProduct(x[$0] - m, cb).addingProduct(dout[$0], ca) }
        // `forwardReLU`: the scalar forward, then the ReLU layer's element rule.
        let scalarReLU = scalarForward.map { $0 <= 0 ? 0 : $0 }, columnReLU = forward.map { $0 <= 0 ? 0 : $0 }
        // Whole, and cut at offsets that put vector lanes where the tail was (a tile starting elsewhere).
        for cut in Set([0, 1, 5, count / 2, count]) where cut <= count {
            let zeros = [T](repeating: 0, count: count)
            let out = Buffer(zeros), dx = Buffer(zeros), scalarOut = Buffer(zeros), scalarDx = Buffer(zeros)
            let reluOut = Buffer(zeros), columnReLUOut = Buffer(zeros)
            defer { for buffer in [out, dx, scalarOut, scalarDx, reluOut, columnReLUOut] { buffer.free() } }
            for range in [0..<cut, cut..<count] where !range.isEmpty {
                let j = range.lowerBound, n = range.count
                CenteredAffine.forward(x.start + j, mean: mean.start + j, scale: scale.start + j, shift: shift.start + j,
                                       out: out.start + j, count: n)
                CenteredAffine.backward(dout: dout.start + j, x: x.start + j, mean: mean.start + j, a: a.start + j, b: b.start + j,
                                        c: c.start + j, dx: dx.start + j, count: n)
                CenteredAffine.forward(x.start + j, mean: m, scale: s, shift: sh, out: scalarOut.start + j, count: n)
                CenteredAffine.backward(dout: dout.start + j, x: x.start + j, mean: m, a: ca, b: cb, c: cc, dx: scalarDx.start + j, count: n)
                CenteredAffine.forwardReLU(x.start + j, mean: m, scale: s, shift: sh, out: reluOut.start + j, count: n)
                CenteredAffine.forwardReLU(x.start + j, mean: mean.start + j, scale: scale.start + j, shift: shift.start + j,
                                           out: columnReLUOut.start + j, count: n)
            }
            let label = "\(T.self) \(count) cut at \(cut)"
            #expect(Self.bits(out.array()) == Self.bits(forward), "per-column forward, \(label)")
            #expect(Self.bits(dx.array()) == Self.bits(backward), "per-column backward, \(label)")
            #expect(Self.bits(scalarOut.array()) == Self.bits(scalarForward), "scalar forward, \(label)")
            #expect(Self.bits(scalarDx.array()) == Self.bits(scalarBackward), "scalar backward, \(label)")
            #expect(Self.bits(reluOut.array()) == Self.bits(scalarReLU), "scalar forward and ReLU, \(label)")
            #expect(Self.bits(columnReLUOut.array()) == Self.bits(columnReLU), "per-column forward and ReLU, \(label)")
        }
    }

    /// The scalar-coefficient sweeps that also sum the next span return `SpanSums`' bits.
    @Test(arguments: lengths)
    func centeredAffineSumsOfTheNextSpanAreSpanSumsBits(count: Int) {
        Self.checkFusedSums(count, as: Float.self)
        Self.checkFusedSums(count, as: Double.self)
    }

    static func checkFusedSums<T: TesselScalar>(_ count: Int, as _: T.Type) {
        let x = Buffer<T>(values(count, seed: 14)), dout = Buffer<T>(values(count, seed: 15))
        let nextX = Buffer<T>(values(count, seed: 16)), nextDout = Buffer<T>(values(count, seed: 17))
        let out = Buffer([T](repeating: 0, count: count)), dx = Buffer([T](repeating: 0, count: count))
        defer { for buffer in [x, dout, nextX, nextDout, out, dx] { buffer.free() } }
        let nextMean = 0.21
        let sum = CenteredAffine.forward(x.start, mean: T(0.5), scale: T(2), shift: T(1), out: out.start, count: count,
                                         summing: nextX.start)
        #expect(sum.bitPattern == SpanSums.sum(nextX.start, count: count).bitPattern, "\(T.self) forward, \(count)")
        let sums = CenteredAffine.backward(dout: dout.start, x: x.start, mean: T(0.5), a: T(0.25), b: T(-1), c: T(0.5), dx: dx.start,
                                           count: count, summing: (dout: UnsafePointer(nextDout.start), x: UnsafePointer(nextX.start), mean: nextMean))
        let expected = SpanSums.gradientSums(dout: nextDout.start, x: nextX.start, count: count, mean: nextMean)
        #expect(sums.dout.bitPattern == expected.dout.bitPattern && sums.doutCentered.bitPattern == expected.doutCentered.bitPattern,
                "\(T.self) backward, \(count)")
        // Without a next span the sweep sums nothing.
        #expect(CenteredAffine.forward(x.start, mean: T(0.5), scale: T(2), shift: T(1), out: out.start, count: count) == 0)
        // Rectifying, it writes what `forwardReLU` writes and still sums the next span.
        let rectified = Buffer([T](repeating: 0, count: count)), reference = Buffer([T](repeating: 0, count: count))
        defer { for buffer in [rectified, reference] { buffer.free() } }
        let rectifiedSum = CenteredAffine.forward(x.start, mean: T(0.5), scale: T(2), shift: T(1), out: rectified.start, count: count,
                                                  rectifying: true, summing: nextX.start)
        CenteredAffine.forwardReLU(x.start, mean: T(0.5), scale: T(2), shift: T(1), out: reference.start, count: count)
        #expect(rectifiedSum.bitPattern == sum.bitPattern, "\(T.self) rectifying forward's sum, \(count)")
        #expect(Self.bits(rectified.array()) == Self.bits(reference.array()), "\(T.self) rectifying forward, \(count)")
        #expect(count < 16 || rectified.array().contains(0), "\(T.self) rectifying forward has values to clip, \(count)")
    }

    // MARK: ChunkPartials

    @Test(arguments: [(0, 5), (1, 1), (3, 17), (16, 40), (37, 3)])
    func chunkPartialsSumInChunkOrderOnAnyWorkers(chunks: Int, width: Int) throws {
        let partials = Self.values(chunks * width, seed: 18, in: -1e3...1e3, as: Double.self)
        var expected = [Double](repeating: 0, count: width)
        for chunk in 0..<chunks {
            for j in 0..<width { expected[j] += partials[chunk * width + j] }
        }
        for scheduler in [Scheduler.serial] + determinismSchedulers {
            let p = Buffer(partials), result = Buffer([Double](repeating: .nan, count: width))
            defer { p.free(); result.free() }
            ChunkPartials.sum(p.start, chunks: chunks, width: width, into: result.start, scheduler: scheduler)
            #expect(Self.bits(result.array()) == Self.bits(expected), "\(scheduler.workers) workers, \(scheduler.tiles)")
        }
    }

    /// Partials in the element type fold in Double, chunk 0 first, and round to `T` once, in
    /// the vectors of 16 elements as in the scalar tail, on any workers.
    @Test(arguments: [(1, 1), (3, 16), (4, 37), (5, 100)])
    func elementTypePartialsAddInDoubleAndRoundOnce(chunks: Int, count: Int) throws {
        try checkElementTypePartials(chunks: chunks, count: count, as: Float.self)
        try checkElementTypePartials(chunks: chunks, count: count, as: Double.self)
    }

    func checkElementTypePartials<T: TesselScalar>(chunks: Int, count: Int, as _: T.Type) throws {
        // Magnitudes 1e-8 to 1e8 apart: their sums round differently in another order or type.
        let scales: [Double] = [1e-8, 1, 1e8]
        let partials: [T] = (0..<chunks * count).map { i in
            let magnitude = Double(i % 7 - 3) * scales[i % 3]
            return T(magnitude + 0.1 * Double(i))
        }
        let expected: [T] = (0..<count).map { e in T((0..<chunks).reduce(0.0) { $0 + Double(partials[$1 * count + e]) }) }
        for scheduler in [Scheduler.serial] + determinismSchedulers {
            let p = Buffer(partials), result = Buffer([T](repeating: .nan, count: count))
            defer { p.free(); result.free() }
            ChunkPartials.sum(p.start, chunks: chunks, count: count, into: result.start, scheduler: scheduler)
            #expect(Self.bits(result.array()) == Self.bits(expected), "\(T.self), \(scheduler.workers) workers, \(scheduler.tiles)")
        }
    }

    /// Merged moments are the moments of all values (two-pass, to roundoff) and have the same
    /// bits on every worker count and tile size.
    @Test(arguments: [(37, 1, 19), (50, 3, 16), (5, 7, 1), (16, 1, 33)])
    func chunkPartialsMergeMomentsOfAllValues(items: Int, valuesPerItem: Int, width: Int) throws {
        // values[item][v][j]: width columns, valuesPerItem values per item in each.
        let values = Self.values(items * valuesPerItem * width, seed: 19, in: 5...9, as: Double.self)
        let value = { (item: Int, v: Int, j: Int) in values[(item * valuesPerItem + v) * width + j] }
        let chunks = ItemChunks(items: items, elementsPerItem: valuesPerItem * width)
        #expect(chunks.count > 1 || items < 3)
        var means = [Double](repeating: 0, count: chunks.count * width), m2s = means
        for chunk in 0..<chunks.count {
            let members = chunks.items(of: chunk)
            for j in 0..<width {
                let all = members.flatMap { item in (0..<valuesPerItem).map { value(item, $0, j) } }
                let mean = all.reduce(0, +) / Double(all.count)
                means[chunk * width + j] = mean
                m2s[chunk * width + j] = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            }
        }
        var first: [UInt64]? = nil
        for scheduler in [Scheduler.serial] + determinismSchedulers {
            var mean = [Double](repeating: .nan, count: width), m2 = mean
            means.withUnsafeBufferPointer { means in
                m2s.withUnsafeBufferPointer { m2s in
                    mean.withUnsafeMutableBufferPointer { mean in
                        m2.withUnsafeMutableBufferPointer {
                            ChunkPartials.mergeMoments(means: means.baseAddress!, m2s: m2s.baseAddress!, chunks: chunks,
                                                       valuesPerItem: valuesPerItem, width: width, mean: mean.baseAddress!,
                                                       m2: $0.baseAddress!, scheduler: scheduler)
                        }
                    }
                }
            }
            for j in 0..<width {
                let all = (0..<items).flatMap { item in (0..<valuesPerItem).map { value(item, $0, j) } }
                let exactMean = all.reduce(0, +) / Double(all.count)
                let exactM2 = all.reduce(0) { $0 + ($1 - exactMean) * ($1 - exactMean) }
                #expect(abs(mean[j] - exactMean) <= 1e-14 * abs(exactMean), "mean of column \(j)")
                #expect(abs(m2[j] - exactM2) <= 1e-12 * exactM2, "M2 of column \(j)")
            }
            let bits = Self.bits(mean) + Self.bits(m2)
            if let first { #expect(bits == first, "\(scheduler.workers) workers, \(scheduler.tiles)") } else { first = bits }
        }
    }
}

/// Values in memory of their own for a kernel's pointers (an array's `&a[j]` would pass a
/// pointer to a one-element temporary); `free()` releases them.
struct Buffer<T> {
    let start: UnsafeMutablePointer<T>
    let count: Int

    init(_ values: [T]) {
        count = values.count
        start = .allocate(capacity: max(count, 1))
        start.initialize(from: values, count: count)
    }

    subscript(index: Int) -> T { start[index] }
    func array(_ range: Range<Int>? = nil) -> [T] { Array(UnsafeBufferPointer(start: start, count: count)[range ?? 0..<count]) }
    func free() { start.deallocate() }
}
