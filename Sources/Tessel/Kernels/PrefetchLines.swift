import CCacheHints

/// Cache lines for a micro-kernel to prefetch while it runs, one slot every `stepsPerLine`
/// depth steps, instead of all at once before it: a burst of the 43 lines that are an 8-row
/// kernel's share of the next 32 KiB B micro-panel filled the line-fill buffers and stalled
/// the issuing loop (`perf annotate` of `tessel run config/fc.json`: 80% of the tile loop's
/// samples on its `prefetcht0`s), and so did the 16 `prefetchw`s of the next micro-tile's C
/// rows. The rows of C (for writing, one slot each: the row's first and last byte) come
/// first, then the consecutive lines. A hint: results never depend on it.
struct PrefetchLines {
    private var rowAddress: UnsafeRawPointer?
    private var rows: Int
    private let rowStride: Int, rowBytes: Int
    private var address: UnsafeRawPointer?
    private var count: Int

    /// `rows` rows of `rowBytes` bytes, `rowStride` bytes apart from `rowAddress`, to be
    /// written; then `count` lines from `address` to be read.
    init(rows: Int, at rowAddress: UnsafeRawPointer, rowStride: Int, rowBytes: Int,
         lines count: Int, at address: UnsafeRawPointer) {
        self.rowAddress = rowAddress
        self.rows = rows
        self.rowStride = rowStride
        self.rowBytes = rowBytes
        self.address = address
        self.count = count
    }

    private init() {
        rowAddress = nil
        rows = 0
        rowStride = 0
        rowBytes = 0
        address = nil
        count = 0
    }

    /// Nothing to prefetch.
    static var none: PrefetchLines { PrefetchLines() }

    /// Depth steps between two slots.
    static let stepsPerLine = 4

    /// Runs `step` `depth` times, issuing a slot before every `stepsPerLine` of the first
    /// steps; the slots that `depth` steps cannot spread so are issued before the first step.
    @inline(__always)
    func run(depth: Int, _ step: () -> Void) {
        var lines = self
        let spread = min(rows + count, depth / Self.stepsPerLine)
        while lines.rows + lines.count > spread { lines.issueNext() }
        for _ in 0..<spread {
            lines.issueNext()
            for _ in 0..<Self.stepsPerLine { step() }
        }
        // The rest two steps an iteration: the compiler left a kernel that reads B in place
        // (`InPlaceBPanel`) one step an iteration; four steps made it hoist the broadcasts of
        // the kernel that reads A in place (`InPlaceAPanel`) and spill four of them.
        var k = spread * Self.stepsPerLine
        while k + 2 <= depth {
            step()
            step()
            k += 2
        }
        while k < depth {
            step()
            k += 1
        }
    }

    /// Prefetches the next slot: a row of C, or a line.
    @inline(__always)
    private mutating func issueNext() {
        if rows > 0, let row = rowAddress {
            tessel_prefetch_for_write(row)
            tessel_prefetch_for_write(row + (rowBytes - 1))
            rowAddress = row + rowStride
            rows -= 1
        } else if count > 0, let line = address {
            tessel_prefetch(line)
            address = line + 64
            count -= 1
        }
    }
}
