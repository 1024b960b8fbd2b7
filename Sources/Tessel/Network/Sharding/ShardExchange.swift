/// How the processes of a data-parallel step see each other's shard partials.
///
/// A step cuts its global batch into shards (see `ShardLayout`); every rank computes the
/// partial results of its own shards — per-feature batch-norm moments, gradient sums, weight
/// gradients, loss sums — and `allGather` hands every rank the partials of ALL shards, in
/// global shard order. Each rank then folds them in that order itself, so every rank gets the
/// same bits, and the same bits as one process holding every shard. The exchange only moves
/// bytes; it never adds.
///
/// `LocalExchange` is the single process; the TesselDistributed module implements it over MPI.
public protocol ShardExchange: Sendable {
    /// This process's rank, `0 ..< ranks`.
    var rank: Int { get }
    /// The number of processes taking part.
    var ranks: Int { get }
    /// Every rank's `local` bytes concatenated in rank order into `all`, on every rank.
    /// Every rank passes the same `local.count`; `all.count` is `ranks · local.count`.
    /// - Throws: `TesselError.system` when the transport fails (a peer died, a timeout).
    func allGather(_ local: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer) throws
}

/// The exchange of a single process: its partials are all the partials.
public struct LocalExchange: ShardExchange {
    /// Always 0.
    public var rank: Int { 0 }
    /// Always 1.
    public var ranks: Int { 1 }

    /// The exchange of one process.
    public init() {}

    /// Copies `local` into `all` (which has the same size).
    public func allGather(_ local: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer) throws {
        precondition(all.count == local.count, "LocalExchange: all holds \(all.count) bytes, local \(local.count)")
        all.copyMemory(from: local)
    }
}

extension ShardExchange {
    /// Every rank's `local` values (the same count on every rank), concatenated in rank order.
    /// - Throws: as `allGather(_:into:)`.
    func allGather<E: BitwiseCopyable>(_ local: [E]) throws -> [E] {
        try [E](unsafeUninitializedCapacity: local.count * ranks) { all, initialized in
            try local.withUnsafeBytes { bytes in
                try allGather(bytes, into: UnsafeMutableRawBufferPointer(all))
            }
            initialized = local.count * ranks
        }
    }
}
