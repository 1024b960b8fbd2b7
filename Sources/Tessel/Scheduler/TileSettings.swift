/// Tile sizes of the non-reduced dimensions. They choose how work is cut for the scheduler;
/// every setting gives the same bits (reduction chunks are fixed by the shape, not by these).
/// Order-neutral, so they may follow the machine (cache sizes, core count).
public struct TileSettings: Sendable, Equatable, Codable {
    /// Elements per tile for element-wise layers (ReLU, dropout) and row blocks of the norms.
    public var elementsPerTile: Int
    /// Rows of the left operand per parallel block of a matrix product (MC; rounded up to a
    /// multiple of the micro-kernel height, 6). The convolution's input-gradient tiles take
    /// about two such blocks of filter positions.
    public var gemmRowBlock: Int
    /// Columns of the right operand per parallel block of a matrix product (NC; rounded up to
    /// a multiple of the micro-kernel width). Also the output pixels per forward convolution tile.
    public var gemmColumnBlock: Int
    /// Output bytes from which a memory-bound pass writes its output with non-temporal
    /// (streaming) stores, which skip reading each output line into the cache before writing
    /// it. Such a pass touches at least twice its output, so from half the last-level cache on
    /// its first outputs are evicted before the next layer reads them anyway. Default: half the
    /// largest cache sysfs reports (`Int.max`, never, when it reports none).
    public var streamingOutputBytes: Int

    /// The defaults; `tessel scale --settings FILE` times others side by side (docs/BENCHMARKS.md).
    public init(elementsPerTile: Int = 1 << 15, gemmRowBlock: Int = 96, gemmColumnBlock: Int = 512,
                streamingOutputBytes: Int = TileSettings.defaultStreamingOutputBytes) {
        self.elementsPerTile = elementsPerTile
        self.gemmRowBlock = gemmRowBlock
        self.gemmColumnBlock = gemmColumnBlock
        self.streamingOutputBytes = streamingOutputBytes
    }

    /// `streamingThreshold` of this machine: its largest cache (`LastLevelCache`) and its
    /// online CPUs (`Scheduler.onlineCPUCount`).
    public static var defaultStreamingOutputBytes: Int {
        streamingThreshold(lastLevelCacheBytes: LastLevelCache.bytes, cpus: Scheduler.onlineCPUCount)
    }

    /// The largest `streamingThreshold` per CPU, in bytes: 8 MiB.
    public static let maxStreamingThresholdPerCPU = 8 << 20

    /// The streaming threshold in bytes: half the largest cache (`lastLevelCacheBytes`), and
    /// at most `maxStreamingThresholdPerCPU` for each of `cpus` CPUs (`Int.max` when the cache
    /// is unknown). The cap: a virtual machine may report the whole socket's cache, shared
    /// with the host's other tenants — a 2-vCPU Intel Xeon guest reports 300 MiB, and half of
    /// that kept batch norm's 16 MiB outputs on ordinary stores, the layer 25% slower than
    /// streamed (docs/PERFORMANCE.md). A Zen 4 guest's 32 MiB over 2 vCPUs gives 16 MiB
    /// either way.
    public static func streamingThreshold(lastLevelCacheBytes: Int?, cpus: Int) -> Int {
        guard let cache = lastLevelCacheBytes else { return Int.max }
        return min(cache / 2, max(1, cpus) * maxStreamingThresholdPerCPU)
    }

    /// Whether a pass writing an output of `x`'s element count and type streams it: when the
    /// output has `streamingOutputBytes` or more.
    func streams<T>(outputLike x: Tensor<T>) -> Bool {
        x.count * MemoryLayout<T>.stride >= streamingOutputBytes
    }
}
