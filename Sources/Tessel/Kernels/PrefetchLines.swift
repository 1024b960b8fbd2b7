import CCacheHints

/// Consecutive cache lines for a micro-kernel to prefetch while it runs, one every
/// `stepsPerLine` depth steps, instead of all at once before it: a burst of the 43 lines that
/// are an 8-row kernel's share of the next 32 KiB B micro-panel filled the line-fill buffers and
/// stalled the issuing loop (`perf annotate` of `tessel run config/fc.json`: 80% of the tile
/// loop's samples on its `prefetcht0`s). A hint: results never depend on it.
struct PrefetchLines {
    private var address: UnsafeRawPointer?
    private var count: Int

    /// `count` lines from `address`.
    init(address: UnsafeRawPointer, count: Int) {
        self.address = address
        self.count = count
    }

    private init() {
        address = nil
        count = 0
    }

    /// Nothing to prefetch.
    static var none: PrefetchLines { PrefetchLines() }

    /// Depth steps between two lines' prefetches.
    static let stepsPerLine = 4

    /// Prefetches now the lines that `steps` depth steps cannot spread at one per
    /// `stepsPerLine`, and returns the steps that will issue the rest (a multiple of
    /// `stepsPerLine`) by calling `issueNext()` once every `stepsPerLine` of them.
    @inline(__always)
    mutating func issueExcess(over steps: Int) -> Int {
        let spread = min(count, steps / Self.stepsPerLine)
        while count > spread { issueNext() }
        return spread * Self.stepsPerLine
    }

    /// Prefetches the next line.
    @inline(__always)
    mutating func issueNext() {
        guard let line = address, count > 0 else { return }
        tessel_prefetch(line)
        address = line + 64
        count -= 1
    }
}
