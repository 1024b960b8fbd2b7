/// How a data-parallel step cuts its global batch: `shards` shards of consecutive examples,
/// shard `s` holding rows `⌊s·batch/shards⌋ ..< ⌊(s+1)·batch/shards⌋`, and `ranks` processes
/// holding consecutive shards in rank order, rank `r` the shards
/// `⌊r·shards/ranks⌋ ..< ⌊(r+1)·shards/ranks⌋` (so ranks may hold different numbers of shards).
///
/// Every reduction over the batch is computed per shard from zero and the shard partials are
/// folded in shard order, so a step's bits depend on the batch and `shards` only: one process
/// and any `ranks` up to `shards` give the same gradients, statistics and loss
/// (docs/DISTRIBUTED.md).
public struct ShardLayout: Sendable, Equatable {
    /// Examples in the global batch.
    public let batch: Int
    /// Shards of the batch, `1 ... batch`.
    public let shards: Int
    /// This process's rank, `0 ..< ranks`.
    public let rank: Int
    /// Processes sharing the batch, `1 ... shards`.
    public let ranks: Int

    /// A layout of `batch` examples in `shards` shards over `ranks` processes, seen from `rank`.
    /// - Throws: `TesselError.invalidParameter` (layer `network`, parameter `shards`) unless
    ///   1 ≤ shards ≤ batch (every shard needs an example) and `ranks` ≤ `shards` (every rank
    ///   needs a shard);
    ///   (parameter `rank`) unless 0 ≤ rank < ranks.
    public init(batch: Int, shards: Int = 1, rank: Int = 0, ranks: Int = 1) throws {
        guard ranks >= 1, rank >= 0, rank < ranks else {
            throw TesselError.invalidParameter(component: "network", parameter: "rank", value: "\(rank)",
                                               reason: "must lie in 0..<\(ranks), the number of ranks")
        }
        guard shards >= 1, shards <= batch else {
            throw TesselError.invalidParameter(component: "network", parameter: "shards", value: "\(shards)",
                                               reason: "a batch of \(batch) examples needs 1 ... \(batch) shards (every shard needs an example)")
        }
        guard ranks <= shards else {
            throw TesselError.invalidParameter(component: "network", parameter: "shards", value: "\(shards)",
                                               reason: "\(ranks) ranks need at least \(ranks) shards (every rank needs a shard)")
        }
        self.batch = batch
        self.shards = shards
        self.rank = rank
        self.ranks = ranks
    }

    /// The global rows of shard `shard`.
    public func rows(of shard: Int) -> Range<Int> {
        (shard * batch / shards)..<((shard + 1) * batch / shards)
    }

    /// The shards this rank holds.
    public var localShards: Range<Int> { shards(of: rank) }

    /// The shards rank `rank` holds.
    public func shards(of rank: Int) -> Range<Int> {
        (rank * shards / ranks)..<((rank + 1) * shards / ranks)
    }

    /// The global rows this rank holds: its shards' rows, consecutive.
    public var localRows: Range<Int> {
        rows(of: localShards.lowerBound).lowerBound..<rows(of: localShards.upperBound - 1).upperBound
    }
}
