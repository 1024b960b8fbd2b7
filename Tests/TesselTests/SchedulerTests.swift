import Synchronization
import Testing
@testable import Tessel
import TesselTestSupport

@Suite struct TilingTests {
    @Test func tilesCoverTheSpaceExactlyOnce() {
        for (rows, columns, tileRows, tileColumns) in [(7, 5, 3, 2), (1, 1, 4, 4), (64, 3, 8, 7), (13, 1, 13, 1), (10, 10, 1, 1)] {
            let tiling = Tiling(rows: rows, columns: columns, tileRows: tileRows, tileColumns: tileColumns)
            var covered = [Int](repeating: 0, count: rows * columns)
            for index in 0..<tiling.count {
                let tile = tiling.tile(index)
                #expect(tile.index == index)
                for r in tile.rows { for c in tile.columns { covered[r * columns + c] += 1 } }
            }
            #expect(covered.allSatisfy { $0 == 1 }, "\(tiling)")
        }
    }

    @Test func emptySpaceHasNoTiles() {
        #expect(Tiling(rows: 0, tileRows: 4).count == 0)
        #expect(Tiling(rows: 5, columns: 0, tileRows: 2, tileColumns: 2).count == 0)
    }

    @Test func gridDependsOnlyOnShapeAndTileSize() {
        let tiling = Tiling.split(1000, targetItemsPerTile: 64)
        #expect(tiling.count == 16)
        #expect(tiling.tile(15).rows == 960..<1000)
    }
}

@Suite struct SchedulerTests {
    @Test func rejectsInvalidSettings() {
        #expect(throws: TesselError.self) { try Scheduler(workers: 0) }
        #expect(throws: TesselError.self) { try Scheduler(workers: 2, grainSize: -1) }
    }

    @Test func participantsAreCappedByTilesAndGrain() throws {
        let scheduler = try Scheduler(workers: 8, grainSize: 100)
        #expect(scheduler.participants(tileCount: 3, totalWork: 1000) == 3)
        #expect(scheduler.participants(tileCount: 30, totalWork: 1000) == 8)
        #expect(scheduler.participants(tileCount: 30, totalWork: 99) == 1)
        #expect(scheduler.participants(tileCount: 1, totalWork: 1 << 30) == 1)
    }

    @Test(arguments: [1, 2, 3, 8])
    func everyTileRunsExactlyOnceInParallel(workers: Int) throws {
        let scheduler = try Scheduler(workers: workers, grainSize: 0)
        let tiling = Tiling(rows: 37, columns: 11, tileRows: 4, tileColumns: 3)
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: tiling.count)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        let base = counts.baseAddress!
        scheduler.forEachTile(tiling, workPerTile: 1) { tile in base[tile.index] += 1 }
        #expect(counts.allSatisfy { $0 == 1 })
    }

    @Test func oneWorkerRunsInlineInTileOrder() throws {
        var order: [Int] = []
        Scheduler.serial.forEachTile(Tiling(rows: 9, tileRows: 2), workPerTile: 1 << 30) { tile in order.append(tile.index) }
        #expect(order == [0, 1, 2, 3, 4])
    }

    @Test func scratchIsPrivateToARunningTile() throws {
        let scheduler = try Scheduler(workers: 4, grainSize: 0)
        let tiling = Tiling(rows: 64, tileRows: 1)
        let failures = Atomic<Int>(0)
        try scheduler.forEachTile(tiling, workPerTile: 1, scratchBytesPerWorker: 256) { tile, scratch in
            #expect(Int(bitPattern: scratch) % Allocator.alignment == 0)
            let words = scratch.assumingMemoryBound(to: Int.self)
            for i in 0..<32 { words[i] = tile.index }
            for _ in 0..<1000 where words[0] != tile.index { failures.add(1, ordering: .relaxed) }
            for i in 0..<32 where words[i] != tile.index { failures.add(1, ordering: .relaxed) }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    /// Scratch larger than the machine, or whose total overflows `Int`, is an out-of-memory
    /// error before any tile runs, not a trap.
    @Test(arguments: [Allocator.physicalMemoryByteCount, Int.max - 8])
    func scratchThatCannotBeAllocatedThrowsBeforeAnyTile(bytes: Int) throws {
        let scheduler = try Scheduler(workers: 2, grainSize: 0)
        let ran = Atomic<Int>(0)
        #expect {
            try scheduler.forEachTile(Tiling(rows: 8, tileRows: 1), workPerTile: 1, scratchBytesPerWorker: bytes) { _, _ in
                ran.add(1, ordering: .relaxed)
            }
        } throws: { error in
            guard case .outOfMemory = error as? TesselError else { return false }
            return true
        }
        #expect(ran.load(ordering: .relaxed) == 0)
    }

    @Test func reductionIsBitwiseIdenticalForAnyWorkerCount() throws {
        // Values of very different magnitudes make the sum order-sensitive in floating point.
        let length = 10_007, width = 3
        var generator = SeededGenerator(seed: 9)
        let values = (0..<length * width).map { _ in Double.random(in: -1...1, using: &generator) * Double.pow(10, Double(Int.random(in: -8...8, using: &generator))) }
        func sums(_ scheduler: Scheduler) -> [Double] {
            var result = [Double](repeating: .nan, count: width)
            result.withUnsafeMutableBufferPointer { result in
                values.withUnsafeBufferPointer { values in
                    scheduler.reduce(Tiling.split(length, targetItemsPerTile: 97), width: width, workPerChunk: 97, into: result) { chunk, partial in
                        for row in chunk.rows { for j in 0..<width { partial[j] += values[row * width + j] } }
                    }
                }
            }
            return result
        }
        let expected = sums(.serial)
        for scheduler in determinismSchedulers {
            #expect(sums(scheduler).map(\.bitPattern) == expected.map(\.bitPattern))
            expectRanInParallel(scheduler)
        }
        // And the fixed order is what it claims: chunk partials added left to right.
        var byHand = [Double](repeating: 0, count: width)
        for start in stride(from: 0, to: length, by: 97) {
            var partial = [Double](repeating: 0, count: width)
            for row in start..<min(start + 97, length) { for j in 0..<width { partial[j] += values[row * width + j] } }
            for j in 0..<width { byHand[j] += partial[j] }
        }
        #expect(byHand.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}
