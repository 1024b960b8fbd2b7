import Testing
@testable import Tessel

@Suite struct RowRunsPrefetchTests {
    /// Every run's lines and the one after are issued once, in shares, and nothing past the
    /// last run: a share larger than what remains stops at the end.
    @Test func issuesEachRunsLinesOnceInShares() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 3 * 4096, alignment: 64)
        defer { buffer.deallocate() }
        var runs = RowRunsPrefetch(base: UnsafeRawPointer(buffer + 32), rows: 3, rowStride: 4096, bytesPerRun: 1000)
        #expect(runs.remainingLines == 3 * 17)
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
