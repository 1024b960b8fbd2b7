import Testing
@testable import Tessel

@Suite struct RowRunsPrefetchTests {
    /// Each run counts its lines and the one after; a share spreads what remains, up to its cap;
    /// shares are taken from what remains, and a share larger than that stops at the end (the
    /// count would go negative past it).
    @Test func countsEachRunsLinesAndStopsAtTheEnd() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 3 * 4096, alignment: 64)
        defer { buffer.deallocate() }
        var runs = RowRunsPrefetch(base: UnsafeRawPointer(buffer + 32), rows: 3, rowStride: 4096, bytesPerRun: 1000)
        #expect(runs.remainingLines == 3 * 17)
        #expect(runs.linesPerShare(over: 5) == 11)
        #expect(runs.linesPerShare(over: 2) == RowRunsPrefetch.maxLinesPerShare)
        runs.issue(20)
        #expect(runs.remainingLines == 31)
        runs.issue(0)
        #expect(runs.remainingLines == 31)
        runs.issue(100)
        #expect(runs.remainingLines == 0)
        runs.issue(5)
        #expect(runs.remainingLines == 0)
    }
}
