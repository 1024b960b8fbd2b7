import CMPI
import Foundation
import Synchronization
import Tessel

/// Tessel's `ShardExchange` over MPI: the processes of an `mpirun` job (MPI_COMM_WORLD) share
/// a data-parallel step through `MPI_Allgatherv` and `MPI_Alltoallv` of raw bytes, ranks in
/// order. The exchange never adds: the ranks fold the partials in shard order themselves, so
/// the result does not depend on MPI's reduction order.
///
/// Failures: the communicator returns errors (`MPI_ERRORS_RETURN`) and they are thrown as
/// `TesselError.system`; a watchdog thread ends the process with a one-line message when one
/// exchange waits longer than `timeout` (a peer died or hangs), and `mpirun` then stops the
/// other ranks. Only the thread that created the exchange may call it (MPI_THREAD_FUNNELED).
public final class MPIExchange: ShardExchange {
    /// What the exchange did so far.
    public struct Statistics: Sendable, Equatable {
        /// Calls to `allGather` and `allToAll`.
        public var calls = 0
        /// Bytes this rank sent to the other ranks (an allgather's local bytes count once per
        /// other rank), summed over the calls.
        public var bytesSent = 0
        /// Bytes this rank received from the other ranks, summed over the calls.
        public var bytesReceived = 0
        /// Wall time inside MPI calls, seconds.
        public var seconds = 0.0
    }

    /// This process's rank in MPI_COMM_WORLD.
    public let rank: Int
    /// The processes in MPI_COMM_WORLD.
    public let ranks: Int
    /// The longest one exchange may wait before the watchdog ends the process.
    public let timeout: Duration

    /// The exchange in progress (name and start), for the watchdog; nil when none.
    private let inProgress = Mutex<(String, ContinuousClock.Instant)?>(nil)
    private let counters = Mutex(Statistics())

    /// Joins the MPI job (MPI_Init_thread) and starts the watchdog.
    /// - Throws: `TesselError.system` (operation `MPI_Init_thread` …) when MPI cannot start;
    ///   `TesselError.invalidParameter` (layer `mpi`, parameter `timeout`) unless `timeout` > 0.
    public init(timeout: Duration) throws {
        guard timeout > .zero else {
            throw TesselError.invalidParameter(component: "mpi", parameter: "timeout", value: "\(timeout)", reason: "must be positive")
        }
        self.timeout = timeout
        if tessel_mpi_initialized() == 0 {
            var provided: Int32 = 0
            try Self.check(tessel_mpi_init(&provided), "MPI_Init_thread", rank: nil)
        }
        try Self.check(tessel_mpi_errors_return(), "MPI_Comm_set_errhandler", rank: nil)
        var rank: Int32 = 0, size: Int32 = 0
        try Self.check(tessel_mpi_rank(&rank), "MPI_Comm_rank", rank: nil)
        try Self.check(tessel_mpi_size(&size), "MPI_Comm_size", rank: nil)
        self.rank = Int(rank)
        self.ranks = Int(size)
        startWatchdog()
    }

    /// The exchange's counters so far.
    public var statistics: Statistics { counters.withLock { $0 } }

    /// MPI_Allgatherv of `local` (`counts[q]` bytes from rank q) into `all`, rank order.
    /// - Throws: `TesselError.system` (operation `MPI_Allgatherv`) when MPI reports an error or
    ///   a count or offset exceeds 2³¹ − 1 bytes.
    public func allGather(_ local: UnsafeRawBufferPointer, counts: [Int], into all: UnsafeMutableRawBufferPointer) throws {
        precondition(counts.count == ranks && local.count == counts[rank] && all.count == counts.reduce(0, +),
                     "MPIExchange: counts \(counts), local \(local.count) bytes, all \(all.count) bytes")
        let (counts32, offsets32) = try Self.countsAndOffsets(counts, "MPI_Allgatherv", rank: rank)
        try collective("MPI_Allgatherv", sent: local.count * (ranks - 1), received: all.count - local.count) {
            tessel_mpi_allgatherv_bytes(local.baseAddress, counts32[rank], all.baseAddress, counts32, offsets32)
        }
    }

    /// MPI_Alltoallv of bytes: `sendCounts[q]` consecutive bytes of `send` to rank q, and
    /// `receiveCounts[q]` bytes from rank q into consecutive places of `receive`.
    /// - Throws: `TesselError.system` (operation `MPI_Alltoallv`) when MPI reports an error or
    ///   a count or offset exceeds 2³¹ − 1 bytes.
    public func allToAll(_ send: UnsafeRawBufferPointer, sendCounts: [Int],
                         into receive: UnsafeMutableRawBufferPointer, receiveCounts: [Int]) throws {
        precondition(sendCounts.count == ranks && receiveCounts.count == ranks && send.count == sendCounts.reduce(0, +)
                     && receive.count == receiveCounts.reduce(0, +), "MPIExchange: send \(sendCounts), receive \(receiveCounts)")
        let (sendCounts32, sendOffsets32) = try Self.countsAndOffsets(sendCounts, "MPI_Alltoallv", rank: rank)
        let (receiveCounts32, receiveOffsets32) = try Self.countsAndOffsets(receiveCounts, "MPI_Alltoallv", rank: rank)
        try collective("MPI_Alltoallv", sent: send.count - sendCounts[rank], received: receive.count - receiveCounts[rank]) {
            tessel_mpi_alltoallv_bytes(send.baseAddress, sendCounts32, sendOffsets32, receive.baseAddress, receiveCounts32, receiveOffsets32)
        }
    }

    /// Runs one collective under the watchdog, throws its error, and counts it.
    private func collective(_ operation: String, sent: Int, received: Int, _ call: () -> Int32) throws {
        let start = ContinuousClock.now
        inProgress.withLock { $0 = (operation, start) }
        let code = call()
        inProgress.withLock { $0 = nil }
        let seconds = start.duration(to: .now)
        try Self.check(code, operation, rank: rank)
        counters.withLock {
            $0.calls += 1
            $0.bytesSent += sent
            $0.bytesReceived += received
            $0.seconds += Double(seconds.components.seconds) + Double(seconds.components.attoseconds) * 1e-18
        }
    }

    /// Byte counts and the offsets of consecutive blocks of them, as MPI's `int`s.
    private static func countsAndOffsets(_ counts: [Int], _ operation: String, rank: Int) throws -> ([Int32], [Int32]) {
        var offsets: [Int32] = [], counts32: [Int32] = [], offset = 0
        for count in counts {
            guard let count32 = Int32(exactly: count), let offset32 = Int32(exactly: offset) else {
                throw TesselError.system(operation: operation, reason: "rank \(rank): a message of \(counts.reduce(0, +)) bytes exceeds MPI's int counts")
            }
            counts32.append(count32)
            offsets.append(offset32)
            offset += count
        }
        return (counts32, offsets)
    }

    /// Leaves the MPI job (MPI_Finalize), after a barrier so that no rank leaves while another
    /// still exchanges.
    /// - Throws: `TesselError.system` when MPI reports an error.
    public func finalize() throws {
        let start = ContinuousClock.now
        inProgress.withLock { $0 = ("MPI_Barrier", start) }
        let code = tessel_mpi_barrier()
        inProgress.withLock { $0 = nil }
        try Self.check(code, "MPI_Barrier", rank: rank)
        try Self.check(tessel_mpi_finalize(), "MPI_Finalize", rank: rank)
    }

    /// A thread that ends the process when an exchange has waited longer than `timeout`: a
    /// blocking collective never returns when a peer is gone, and no MPI call can cancel it.
    /// The thread holds the exchange for the rest of the process, as MPI can be joined once.
    private func startWatchdog() {
        let timeout = timeout, rank = rank, ranks = ranks
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.1)
                guard let (operation, start) = inProgress.withLock({ $0 }), start.duration(to: .now) > timeout else { continue }
                let message = "tessel: rank \(rank) of \(ranks): no answer from the other ranks for \(timeout) in \(operation) "
                    + "(a rank died or hangs); exiting\n"
                FileHandle.standardError.write(Data(message.utf8))
                exit(75)
            }
        }
        thread.name = "tessel-mpi-watchdog"
        thread.start()
    }

    /// Throws `TesselError.system` for an MPI error code.
    private static func check(_ code: Int32, _ operation: String, rank: Int?) throws {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: Int(tessel_mpi_max_error_string()) + 1)
        tessel_mpi_error_string(code, &text)
        let message = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw TesselError.system(operation: operation, reason: (rank.map { "rank \($0): " } ?? "") + message)
    }
}
