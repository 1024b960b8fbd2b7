import ArgumentParser
import FoundationEssentials
import Tessel

/// The options `run` and `train` share: which config, how many workers, and whether released
/// buffers are reused.
struct WorkloadOptions: ParsableArguments {
    @Argument(help: "A config file, or the name of one in ./config (default: default).")
    var config: String?

    @OptionGroup var threads: ThreadsOption

    @Option(name: .customLong("settings"), help: "A runtime settings file (JSON; see config/runtime.json) used instead of the config's runtime section.")
    var runtimeSettings: String?

    @OptionGroup var buffers: BufferCacheOption

    /// The config named by the argument: a path when it contains `/` or ends in `.json`,
    /// else `config/<name>.json`.
    func loadWorkload(default name: String = "default") throws -> Workload {
        try Workload.load(from: Self.path(of: config ?? name))
    }

    /// The path of the config named `argument`: itself when it contains `/` or ends in `.json`,
    /// else `config/<argument>.json`.
    static func path(of argument: String) -> String {
        argument.contains("/") || argument.hasSuffix(".json") ? argument : "config/\(argument).json"
    }

    /// Applies the memory limit of `workload`'s runtime settings (`RuntimeSettings.applyMemoryLimit`),
    /// naming the file they came from: the config, or the `runtime.json` beside it.
    func applyMemoryLimit(of workload: Workload) throws {
        let folder = workload.source.lastIndex(of: "/").map { String(workload.source[...$0]) } ?? ""
        try workload.runtime.applyMemoryLimit(source: workload.hasRuntimeSection ? workload.source : folder + Workload.sharedRuntimeFile)
    }

    /// `workload`'s runtime settings, or those of `--settings`.
    func settings(for workload: Workload) throws -> RuntimeSettings {
        try runtimeSettings.map { try RuntimeSettings.load(from: $0) } ?? workload.runtime
    }

    /// The scheduler of `settings(for: workload)`; `--threads` overrides their workers and `TESSEL_THREADS`.
    func scheduler(for workload: Workload) throws -> Scheduler {
        try threads.scheduler(for: try settings(for: workload))
    }
}
