import CMPI
import Foundation
import Synchronization
import Tessel

/// Tessel's `ShardExchange` over MPI: the processes of an `mpirun` job (MPI_COMM_WORLD) share
/// a data-parallel step by gathering every shard's partials on every rank (`MPI_Allgather` of
/// raw bytes, ranks in order). The exchange never adds: each rank folds the gathered partials
/// in shard order itself, so the result does not depend on MPI's reduction order.
///
/// Failures: the communicator returns errors (`MPI_ERRORS_RETURN`) and they are thrown as
/// `TesselError.system`; a watchdog thread ends the process with a one-line message when one
/// exchange waits longer than `timeout` (a peer died or hangs), and `mpirun` then stops the
/// other ranks. Only the thread that created the exchange may call it (MPI_THREAD_FUNNELED).
public final class MPIExchange: ShardExchange {
    /// What the exchange did so far.
    public struct Statistics: Sendable, Equatable {
        /// Calls to `allGather`.
        public var calls = 0
        /// Bytes this rank sent (its `local` bytes, summed over the calls).
        public var bytesSent = 0
        /// Bytes this rank received (all ranks' bytes, summed over the calls).
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
            throw TesselError.invalidParameter(layer: "mpi", parameter: "timeout", value: "\(timeout)", reason: "must be positive")
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

    /// MPI_Allgather of `local` (the same byte count on every rank) into `all`, rank order.
    /// - Throws: `TesselError.system` (operation `MPI_Allgather`) when MPI reports an error or
    ///   the message exceeds 2³¹ − 1 bytes.
    public func allGather(_ local: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer) throws {
        precondition(all.count == local.count * ranks, "MPIExchange: all holds \(all.count) bytes, expected \(ranks) × \(local.count)")
        guard let bytes = Int32(exactly: local.count) else {
            throw TesselError.system(operation: "MPI_Allgather", reason: "rank \(rank): \(local.count) bytes exceed MPI's int count")
        }
        let start = ContinuousClock.now
        inProgress.withLock { $0 = ("MPI_Allgather", start) }
        let code = tessel_mpi_allgather_bytes(local.baseAddress, bytes, all.baseAddress)
        inProgress.withLock { $0 = nil }
        let seconds = start.duration(to: .now)
        try Self.check(code, "MPI_Allgather", rank: rank)
        counters.withLock {
            $0.calls += 1
            $0.bytesSent += local.count
            $0.bytesReceived += all.count
            $0.seconds += Double(seconds.components.seconds) + Double(seconds.components.attoseconds) * 1e-18
        }
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
