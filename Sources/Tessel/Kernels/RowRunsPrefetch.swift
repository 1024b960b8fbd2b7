import CCacheHints

/// The cache lines of `rows` runs of `bytesPerRun` bytes, `rowStride` bytes apart from
/// `base`, prefetched a share at a time (`issue(_:)`) while other work runs: for operands read
/// as short runs of many rows (a depth block of a convolution's dout, a kilobyte or less of
/// each of its rows), which the hardware prefetchers barely start on. A hint: results never
/// depend on it, and a prefetch never faults.
struct RowRunsPrefetch {
    private let base: UnsafeRawPointer
    private let rows: Int, rowStride: Int, linesPerRun: Int
    private var row = 0, line = 0

    /// Every line of every run: `bytesPerRun` from each row's start, and the line after, which
    /// a run that does not start on a line reaches into.
    init(base: UnsafeRawPointer, rows: Int, rowStride: Int, bytesPerRun: Int) {
        self.base = base
        self.rows = rows
        self.rowStride = rowStride
        self.linesPerRun = (bytesPerRun + 63) / 64 + 1
    }

    /// The most lines one share issues: a burst of all of a block's lines before a
    /// micro-kernel stalled it where a block has few (groupnorm's conv0 weight gradient, 5
    /// micro-kernels a block: 5.50 → 5.70 ms).
    static let maxLinesPerShare = 16

    /// The lines still to prefetch.
    var remainingLines: Int { (rows - row) * linesPerRun - line }

    /// The share that spreads the remaining lines over `shares` calls of `issue(_:)` (the last
    /// ones may get fewer), at most `maxLinesPerShare`.
    func linesPerShare(over shares: Int) -> Int {
        min(Self.maxLinesPerShare, (remainingLines + shares - 1) / shares)
    }

    /// Prefetches the next `count` lines (fewer when fewer remain), run after run.
    @inline(__always)
    mutating func issue(_ count: Int) {
        var left = min(count, remainingLines)
        while left > 0 {
            tessel_prefetch(base + row * rowStride + line * 64)
            line += 1
            if line == linesPerRun {
                line = 0
                row += 1
            }
            left -= 1
        }
    }
}
