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

    /// Half the largest cache of this machine (`LastLevelCache`), or `Int.max` when unknown.
    public static var defaultStreamingOutputBytes: Int { LastLevelCache.bytes.map { $0 / 2 } ?? Int.max }

    /// Whether a pass writing an output of `x`'s element count and type streams it: when the
    /// output has `streamingOutputBytes` or more.
    func streams<T>(outputLike x: Tensor<T>) -> Bool {
        x.count * MemoryLayout<T>.stride >= streamingOutputBytes
    }
}
