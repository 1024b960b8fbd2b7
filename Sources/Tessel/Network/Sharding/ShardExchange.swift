/// How the processes of a data-parallel step see each other's shard partials.
///
/// A step cuts its global batch into shards (see `ShardLayout`); every rank computes the
/// partial results of its own shards — per-feature batch-norm moments, gradient sums, weight
/// gradients, loss sums. Two collectives move them, and neither ever adds:
/// - `allGather` hands every rank the partials of all shards, in global shard order (the
///   batch-norm moments and sums, the loss sums: a few numbers per feature);
/// - `allToAll` is the reduce-scatter half of the weight-gradient exchange: each rank receives
///   every shard's copy of its own slice of the gradients, folds them in shard order, and the
///   folded slices are then all-gathered (`Network+Shards`, docs/DISTRIBUTED.md).
///
/// Each sum is thus folded in shard order by exactly one rule, so every rank gets the same
/// bits, and the same bits as one process holding every shard.
///
/// `LocalExchange` is the single process; the TesselDistributed module implements it over MPI.
public protocol ShardExchange: Sendable {
    /// This process's rank, `0 ..< ranks`.
    var rank: Int { get }
    /// The number of processes taking part.
    var ranks: Int { get }
    /// Every rank's `local` bytes concatenated in rank order into `all`, on every rank. Rank
    /// `q` contributes `counts[q]` bytes (`local.count == counts[rank]`), and `all.count` is
    /// the sum of `counts`; every rank passes the same `counts`.
    /// - Throws: `TesselError.system` when the transport fails (a peer died, a timeout).
    func allGather(_ local: UnsafeRawBufferPointer, counts: [Int], into all: UnsafeMutableRawBufferPointer) throws
    /// A personalized exchange: this rank sends the next `sendCounts[q]` bytes of `send` to
    /// rank `q`, for `q` in rank order, and receives `receiveCounts[q]` bytes from rank `q`
    /// into consecutive places of `receive`, in rank order. `sendCounts[q]` here equals
    /// `receiveCounts[rank]` on rank `q`.
    /// - Throws: `TesselError.system` when the transport fails (a peer died, a timeout).
    func allToAll(_ send: UnsafeRawBufferPointer, sendCounts: [Int],
                  into receive: UnsafeMutableRawBufferPointer, receiveCounts: [Int]) throws
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
    public func allGather(_ local: UnsafeRawBufferPointer, counts: [Int], into all: UnsafeMutableRawBufferPointer) throws {
        precondition(counts == [local.count] && all.count == local.count, "LocalExchange: all holds \(all.count) bytes, local \(local.count)")
        all.copyMemory(from: local)
    }

    /// Copies `send` into `receive` (which has the same size).
    public func allToAll(_ send: UnsafeRawBufferPointer, sendCounts: [Int],
                         into receive: UnsafeMutableRawBufferPointer, receiveCounts: [Int]) throws {
        precondition(sendCounts == [send.count] && receiveCounts == sendCounts && receive.count == send.count,
                     "LocalExchange: send \(sendCounts), receive \(receiveCounts)")
        receive.copyMemory(from: send)
    }
}

extension ShardExchange {
    /// Every rank's `local` bytes (the same count on every rank) concatenated in rank order.
    /// - Throws: as `allGather(_:counts:into:)`.
    public func allGather(_ local: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer) throws {
        try allGather(local, counts: [Int](repeating: local.count, count: ranks), into: all)
    }

    /// Every rank's `local` values concatenated in rank order, rank `q` holding `counts[q]`.
    /// - Throws: as `allGather(_:counts:into:)`.
    func allGather<E: BitwiseCopyable>(_ local: [E], counts: [Int]) throws -> [E] {
        let total = counts.reduce(0, +)
        return try [E](unsafeUninitializedCapacity: total) { all, initialized in
            try local.withUnsafeBytes { bytes in
                try allGather(bytes, counts: counts.map { $0 * MemoryLayout<E>.stride }, into: UnsafeMutableRawBufferPointer(all))
            }
            initialized = total
        }
    }

    /// Every rank's `local` values (the same count on every rank), concatenated in rank order.
    /// - Throws: as `allGather(_:counts:into:)`.
    func allGather<E: BitwiseCopyable>(_ local: [E]) throws -> [E] {
        try allGather(local, counts: [Int](repeating: local.count, count: ranks))
    }
}
