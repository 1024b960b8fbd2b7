import Synchronization

/// Records what the calls of a scheduler did, so that a test can show that its worker counts
/// really ran in parallel: with one tile per call (the default tile sizes on a small shape) a
/// call runs inline whatever the worker count, and a "1 … 8 workers give the same bits" test
/// would prove nothing.
///
/// Attach one with `Scheduler(…, tileCounter:)`; the scheduler then adds one record per call.
public final class TileCounter: Sendable {
    private let calls = Atomic<Int>(0)
    private let severalTilesPerWorker = Atomic<Int>(0)
    private let mostTiles = Atomic<Int>(0)

    public init() {}

    /// Calls that ran at least one tile.
    public var callCount: Int { calls.load(ordering: .relaxed) }
    /// Calls that ran on all `workers` of their scheduler with at least two tiles per worker.
    public var callsWithSeveralTilesPerWorker: Int { severalTilesPerWorker.load(ordering: .relaxed) }
    /// The most tiles one call ran.
    public var mostTilesInOneCall: Int { mostTiles.load(ordering: .relaxed) }

    /// Adds a call of `tiles` tiles that ran on `threads` of a scheduler's `workers`.
    func record(tiles: Int, threads: Int, workers: Int) {
        calls.wrappingAdd(1, ordering: .relaxed)
        if threads == workers && tiles >= 2 * workers { severalTilesPerWorker.wrappingAdd(1, ordering: .relaxed) }
        var seen = mostTiles.load(ordering: .relaxed)
        while tiles > seen {
            let (exchanged, original) = mostTiles.compareExchange(expected: seen, desired: tiles, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }
}
