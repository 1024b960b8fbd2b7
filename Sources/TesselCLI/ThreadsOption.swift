import ArgumentParser
import FoundationEssentials
import Tessel

/// `--threads N`, the workers per kernel call, shared by `op`, `run`, `train`, `predict` and
/// `golden`: it overrides the runtime settings' `workers` and `TESSEL_THREADS`.
struct ThreadsOption: ParsableArguments {
    @Option(name: .long, help: "Worker threads per kernel call (default: the settings' workers, TESSEL_THREADS, or all online CPUs).")
    var threads: Int?

    /// Validated when the command line is parsed: `--threads 0` is a usage error naming the option.
    func validate() throws {
        if let threads, threads < 1 {
            throw ValidationError("--threads must be at least 1, got \(threads)")
        }
    }

    /// The scheduler of `settings`, with `--threads` (when given) overriding their workers and
    /// `TESSEL_THREADS`.
    /// - Throws: `TesselError` when the settings cannot make a scheduler (see `RuntimeSettings.makeScheduler`).
    func scheduler(for settings: RuntimeSettings) throws -> Scheduler {
        var settings = settings
        var environment = ProcessInfo.processInfo.environment
        if let threads {
            settings.workers = threads
            environment[RuntimeSettings.workersVariable] = nil
        }
        return try settings.makeScheduler(environment: environment)
    }
}
