import Tessel

/// How `ScalingStudy` measures: which worker counts, how many timed and untimed runs, and the
/// scheduler settings other than the worker count.
public struct ScalingOptions: Sendable {
    /// The worker counts, ascending, without repeats, always including 1 (the baseline of
    /// every speedup). Counts above the online CPUs are allowed (oversubscription).
    public let workerCounts: [Int]
    /// Timed runs per layer and worker count; the median is reported (≥ 1).
    public let repeats: Int
    /// Untimed runs per layer and worker count before the timed ones (≥ 0): they fault in
    /// the pages of outputs and wake the worker threads.
    public let warmup: Int
    /// The scheduler whose grain, tiles, NUMA placement and allocator every measured scheduler
    /// shares (its worker count is not used), e.g. `RuntimeSettings.makeScheduler()`.
    public let template: Scheduler

    /// Default timed runs: enough for a median that moves by a few percent at most between
    /// runs on a quiet machine.
    public static let defaultRepeats = 10
    /// Default untimed runs.
    public static let defaultWarmup = 2

    /// Options; `workerCounts` nil means 1, 2, … up to the online CPUs. 1 is added when missing.
    /// - Throws: `TesselError.invalidParameter` (layer `scale`) for a worker count below 1, an
    ///   empty list, `repeats` below 1 or `warmup` below 0.
    public init(workerCounts: [Int]? = nil, repeats: Int = ScalingOptions.defaultRepeats,
                warmup: Int = ScalingOptions.defaultWarmup, template: Scheduler = .default) throws {
        let counts = workerCounts ?? Array(1...Scheduler.onlineCPUCount)
        func invalid(_ parameter: String, _ value: String, _ reason: String) -> TesselError {
            .invalidParameter(component: "scale", parameter: parameter, value: value, reason: reason)
        }
        guard !counts.isEmpty else { throw invalid("workers", "[]", "needs at least one worker count") }
        if let bad = counts.first(where: { $0 < 1 }) { throw invalid("workers", "\(bad)", "a worker count must be at least 1") }
        guard repeats >= 1 else { throw invalid("repeats", "\(repeats)", "must be at least 1") }
        guard warmup >= 0 else { throw invalid("warmup", "\(warmup)", "must not be negative") }
        self.workerCounts = Array(Set(counts + [1])).sorted()
        self.repeats = repeats
        self.warmup = warmup
        self.template = template
    }

    /// The template's settings with `workers` threads.
    func scheduler(workers: Int) throws -> Scheduler {
        try Scheduler(workers: workers, grainSize: template.grainSize, tiles: template.tiles,
                      placement: template.placement, allocator: template.allocator)
    }
}
