import ArgumentParser
import Tessel
#if TESSEL_WITH_MPI
import TesselDistributed
#endif
import TesselSystem

/// The options `run` and `train` share for data-parallel runs under `mpirun`, `--dump` and `--trace`.
struct DistributedOptions: ParsableArguments {
    @Flag(name: .long, help: "Share each batch among the ranks of an mpirun job (same bits as one process; docs/DISTRIBUTED.md).")
    var distributed = false

    @Option(name: .customLong("mpi-timeout"), help: "With --distributed: seconds one exchange may wait for the other ranks before this rank exits.")
    var mpiTimeout: Double = 60

    @Option(name: .long, help: "Write the parameters, the last step's gradients and the running statistics as .npy files into this folder (rank 0).")
    var dump: String?

    @Option(name: .long, help: "Write every layer's output and input gradient of the last step as numbered .npy files into this folder (rank 0), for tessel diff.")
    var trace: String?

    func validate() throws {
        guard mpiTimeout > 0, mpiTimeout.isFinite else { throw ValidationError("--mpi-timeout must be a positive number of seconds, got \(mpiTimeout)") }
    }

    /// Checks, before any work, that the `--trace` folder can be created and written.
    /// - Throws: as `OutputFolder.checkWritable`.
    func checkTraceFolder() throws {
        if let trace { try OutputFolder.checkWritable(trace) }
    }

    /// The exchange of this run: MPI's with --distributed, else the single process's.
    /// - Throws: `TesselError.configuration` when this tessel was built without MPI;
    ///   MPI's start-up errors.
    func exchange() throws -> Distribution {
        guard distributed else { return Distribution(exchange: LocalExchange()) }
        #if TESSEL_WITH_MPI
        return Distribution(exchange: try MPIExchange(timeout: .milliseconds(Int64(mpiTimeout * 1000))))
        #else
        throw TesselError.configuration(source: "tessel", key: "--distributed",
                                        reason: "this tessel was built without MPI: apt-get install libopenmpi-dev and rebuild")
        #endif
    }
}

/// The exchange a command runs with, and what only rank 0 does.
struct Distribution {
    let exchange: any ShardExchange

    /// Whether this process prints and writes files (rank 0).
    var isLeader: Bool { exchange.rank == 0 }

    /// Prints `line` on rank 0 only.
    func say(_ line: String = "") {
        if isLeader { print(line) }
    }

    /// MPI's counters so far, when the exchange is MPI's.
    var statistics: CommunicationLog.Step? {
        #if TESSEL_WITH_MPI
        if let mpi = exchange as? MPIExchange {
            let s = mpi.statistics
            return CommunicationLog.Step(exchanges: s.calls, bytesSent: s.bytesSent, bytesReceived: s.bytesReceived, seconds: s.seconds)
        }
        #endif
        return nil
    }

    /// Checks that every rank holds the same bits of `network`'s parameters and running
    /// statistics (a 64-bit FNV-1a hash of them, exchanged), then leaves the MPI job.
    /// - Throws: `TesselError.system` (operation `comparing parameters across ranks`) when
    ///   they differ; the exchange's errors.
    func finish<T>(_ network: Network<T>) throws {
        guard exchange.ranks > 1 || statistics != nil else { return }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let add = { (tensor: Tensor<T>) in
            tensor.withUnsafeBufferPointer { values in
                for byte in UnsafeRawBufferPointer(values) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            }
        }
        network.parameters.forEach { add($0.value) }
        network.runningStatistics.compactMap { $0 }.forEach { add($0.mean); add($0.variance) }
        var hashes = [UInt64](repeating: 0, count: exchange.ranks)
        try [hash].withUnsafeBytes { local in
            try hashes.withUnsafeMutableBytes { try exchange.allGather(local, into: $0) }
        }
        if let odd = hashes.firstIndex(where: { $0 != hashes[0] }) {
            throw TesselError.system(operation: "comparing parameters across ranks",
                                     reason: "rank \(odd) ended with other parameters than rank 0 (hash \(hashes[odd]) ≠ \(hashes[0]))")
        }
        #if TESSEL_WITH_MPI
        if let mpi = exchange as? MPIExchange { try mpi.finalize() }
        #endif
    }

    /// On rank 0, writes `trace` into `folder` (`NetworkTrace.write(to:)`); nothing when `trace` is nil.
    /// - Throws: `TesselError.system` naming the path when a folder or file cannot be written.
    func writeTrace<T>(_ trace: NetworkTrace<T>?, to folder: String) throws {
        guard isLeader, let trace else { return }
        try trace.write(to: folder)
    }

    /// On rank 0, writes `network`'s parameters (`<name>.npy`), `gradients`
    /// (`<name>.grad.npy`) and running statistics (`<layer>.running_mean.npy`,
    /// `<layer>.running_var.npy`) into `folder`, all flushed before any replaces its earlier
    /// version (`AtomicFile.write`), so that a failure (a full disk) leaves the folder as it was.
    /// - Throws: `TesselError.system` naming the path when a folder or file cannot be written.
    func dump<T>(_ network: Network<T>, gradients: [Tensor<T>], to folder: String) throws {
        guard isLeader else { return }
        try OutputFolder.create(folder)
        var files: [(path: String, bytes: [UInt8])] = []
        for (index, parameter) in network.parameters.enumerated() {
            files.append((folder + "/" + parameter.name + ".npy", NPY.encode(parameter.value)))
            if index < gradients.count { files.append((folder + "/" + parameter.name + ".grad.npy", NPY.encode(gradients[index]))) }
        }
        for (index, statistics) in network.runningStatistics.enumerated() {
            guard let statistics else { continue }
            files.append((folder + "/" + network.layerNames[index] + ".running_mean.npy", NPY.encode(statistics.mean)))
            files.append((folder + "/" + network.layerNames[index] + ".running_var.npy", NPY.encode(statistics.variance)))
        }
        try TesselError.translatingSystemErrors { try AtomicFile.write(files) }
    }
}

/// This rank's MPI traffic step by step, from the exchange's counters after each step (empty
/// without `--distributed`). Bytes count what this rank sent to and received from the other
/// ranks (docs/DISTRIBUTED.md, "What each exchange moves").
struct CommunicationLog: Encodable {
    /// One step's exchanges (an MPI collective each), bytes and seconds inside MPI.
    struct Step: Encodable {
        var exchanges: Int
        var bytesSent: Int
        var bytesReceived: Int
        var seconds: Double
    }

    var ranks: Int
    var shards: Int
    /// Each step's traffic, in order.
    var steps: [Step] = []
    private var previous: Step?

    init(ranks: Int, shards: Int) {
        self.ranks = ranks
        self.shards = shards
    }

    private enum CodingKeys: String, CodingKey { case ranks, shards, steps }

    /// Adds the step that ended since the last call (the first call only sets the start).
    mutating func record(_ distribution: Distribution) {
        guard let now = distribution.statistics else { return }
        if let previous {
            steps.append(Step(exchanges: now.exchanges - previous.exchanges, bytesSent: now.bytesSent - previous.bytesSent,
                              bytesReceived: now.bytesReceived - previous.bytesReceived, seconds: now.seconds - previous.seconds))
        }
        previous = now
    }

    /// The per-step means as one line, with the MPI share of `stepMilliseconds`; nil without steps.
    func summary(stepMilliseconds: Double) -> String? {
        guard !steps.isEmpty else { return nil }
        typealias F = TextFormat
        let n = Double(steps.count)
        let mean = { (value: (Step) -> Double) in steps.reduce(0) { $0 + value($1) } / n }
        let milliseconds = mean { $0.seconds } * 1e3
        return "communication: \(ranks) ranks, \(shards) shards, \(F.number("%.0f", mean { Double($0.exchanges) })) exchanges, "
            + "\(F.number("%.0f", mean { Double($0.bytesSent) })) bytes sent and \(F.number("%.0f", mean { Double($0.bytesReceived) })) "
            + "received per step, \(F.number("%.2f", milliseconds)) ms in MPI per step"
            + " (\(F.number("%.1f%%", milliseconds / stepMilliseconds * 100)) of the median step)"
    }
}
