import Foundation
@testable import Tessel

/// R ranks in one process, each on its own thread, exchanging through shared memory as MPI's
/// allgather and alltoall would: every call blocks until all ranks have posted their bytes for
/// that round, then each copies what it receives in rank order. Lets the tests run a
/// data-parallel step on R ranks without MPI.
final class SimulatedRanks: @unchecked Sendable {
    // @unchecked: `posted`, `round` and `readers` are only touched with `condition` locked.
    private let condition = NSCondition()
    /// Per rank, the bytes it sends to each rank this round.
    private var posted: [[[UInt8]]?]
    private var round = 0
    private var readers = 0
    let count: Int

    init(count: Int) {
        self.count = count
        posted = Array(repeating: nil, count: count)
    }

    /// The exchange of rank `rank`.
    func exchange(rank: Int) -> Exchange { Exchange(group: self, rank: rank) }

    /// Runs `body(rank)` on `count` threads at once and returns the results in rank order.
    func run<R: Sendable>(_ body: @escaping @Sendable (Int) throws -> R) throws -> [R] {
        let results = Results<R>(count: count)
        let done = DispatchGroup()
        for rank in 0..<count {
            done.enter()
            let thread = Thread {
                results.set(rank, Result { try body(rank) })
                done.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
        return try results.values.map { try $0!.get() }
    }

    /// One round: rank `rank` posts `outgoing[q]` for each rank q, waits for every rank's
    /// post, and returns what each rank posted for it, in rank order.
    private func round(rank: Int, _ outgoing: [[UInt8]]) -> [[UInt8]] {
        condition.lock()
        defer { condition.unlock() }
        while posted[rank] != nil { condition.wait() }
        let myRound = round
        posted[rank] = outgoing
        condition.broadcast()
        while round == myRound && posted.contains(where: { $0 == nil }) { condition.wait() }
        let incoming = posted.map { $0![rank] }
        readers += 1
        if readers == count {
            readers = 0
            round += 1
            posted = Array(repeating: nil, count: count)
            condition.broadcast()
        } else {
            while round == myRound { condition.wait() }
        }
        return incoming
    }

    fileprivate func allGather(rank: Int, _ local: UnsafeRawBufferPointer, counts: [Int], into all: UnsafeMutableRawBufferPointer) {
        precondition(counts.count == count && counts[rank] == local.count && counts.reduce(0, +) == all.count)
        copy(round(rank: rank, Array(repeating: Array(local), count: count)), into: all)
    }

    fileprivate func allToAll(rank: Int, _ send: UnsafeRawBufferPointer, sendCounts: [Int],
                              into receive: UnsafeMutableRawBufferPointer, receiveCounts: [Int]) {
        var outgoing: [[UInt8]] = [], offset = 0
        for bytes in sendCounts {
            outgoing.append(Array(UnsafeRawBufferPointer(rebasing: send[offset..<(offset + bytes)])))
            offset += bytes
        }
        let incoming = round(rank: rank, outgoing)
        precondition(incoming.map(\.count) == receiveCounts, "rank \(rank) expected \(receiveCounts), got \(incoming.map(\.count))")
        copy(incoming, into: receive)
    }

    private func copy(_ blocks: [[UInt8]], into target: UnsafeMutableRawBufferPointer) {
        var offset = 0
        for bytes in blocks {
            bytes.withUnsafeBytes { (target.baseAddress! + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            offset += bytes.count
        }
    }

    struct Exchange: ShardExchange {
        let group: SimulatedRanks
        let rank: Int
        var ranks: Int { group.count }

        func allGather(_ local: UnsafeRawBufferPointer, counts: [Int], into all: UnsafeMutableRawBufferPointer) throws {
            group.allGather(rank: rank, local, counts: counts, into: all)
        }

        func allToAll(_ send: UnsafeRawBufferPointer, sendCounts: [Int],
                      into receive: UnsafeMutableRawBufferPointer, receiveCounts: [Int]) throws {
            group.allToAll(rank: rank, send, sendCounts: sendCounts, into: receive, receiveCounts: receiveCounts)
        }
    }

    private final class Results<R>: @unchecked Sendable {
        // @unchecked: `values` is written under `lock`, and read after every thread is done.
        private let lock = NSLock()
        var values: [Result<R, any Error>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ rank: Int, _ value: Result<R, any Error>) { lock.withLock { values[rank] = value } }
    }
}
