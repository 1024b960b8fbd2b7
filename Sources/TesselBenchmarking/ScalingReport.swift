import Tessel

/// What `ScalingStudy.run` measured: per layer, the median time of a forward+backward step at
/// each worker count, the speedups and the Amdahl fit; and what a parallel call itself costs.
///
/// Times are in seconds. Render it with `table()`, `csv()`, `json()` and `svgChart()`, or
/// write all of them with `write(toFolder:)`.
public struct ScalingReport: Sendable, Codable, Equatable {
    /// One worker count of one layer.
    public struct Point: Sendable, Codable, Equatable {
        /// Threads the scheduler could use.
        public let workers: Int
        /// Median over the timed runs of one step (every pass once).
        public let medianSeconds: Double
        /// Fastest timed run.
        public let minimumSeconds: Double
        /// Slowest timed run.
        public let maximumSeconds: Double
        /// Median of each pass alone, in the order of `Layer.passes`.
        public let passMedianSeconds: [Double]
        /// Median time on 1 worker / median time here.
        public let speedup: Double
        /// `speedup / workers`.
        public let efficiency: Double
        /// The layer's rate in its `Layer.unit`, from the median.
        public let throughput: Double
    }

    /// One layer's measurements.
    public struct Layer: Sendable, Codable, Equatable {
        /// The workload's name.
        public let name: String
        /// Its settings, e.g. `x (512, 3072), w (3072, 1024)`.
        public let shape: String
        /// The passes of one step, in order (`forward`, `backward`).
        public let passes: [String]
        /// The work of one step.
        public let cost: BenchmarkCost
        /// The unit of `Point.throughput`.
        public let unit: ThroughputUnit
        /// One point per worker count, ascending; the first has 1 worker.
        public let points: [Point]
        /// Amdahl's law fitted to the speedups; nil with only 1 worker measured.
        public let amdahl: AmdahlFit?
        /// The speedup the fit predicts on 16 and on 64 cores.
        public let predicted16: Double?
        /// See `predicted16`.
        public let predicted64: Double?
    }

    /// What one parallel call costs at one worker count (medians per call, in seconds).
    public struct Overhead: Sendable, Codable, Equatable {
        /// Threads the scheduler could use.
        public let workers: Int
        /// A call with one empty tile per worker and a grain of 0, so that every worker takes part.
        public let emptyCallSeconds: Double
        /// ReLU forward on `ScalingReport.tinyShape` with a grain of 0, cut into 16 tiles.
        public let tinyCallSeconds: Double
    }

    /// CPUs online while measuring.
    public let onlineCPUs: Int
    /// The system's 1-, 5- and 15-minute load averages when the study started and when it
    /// ended (empty where the system does not report them). Two-worker numbers mean something
    /// only on an idle machine.
    public let loadAverageBefore: [Double]
    /// See `loadAverageBefore`.
    public let loadAverageAfter: [Double]
    /// Timed runs per point.
    public let repeats: Int
    /// Untimed runs per point.
    public let warmup: Int
    /// The scheduler's grain during the study.
    public let grainSize: Int
    /// The measured layers, in the order asked for.
    public let layers: [Layer]
    /// The shape of the tiny call in `overhead`.
    public let tinyShape: [Int]
    /// The scheduler overhead, one entry per worker count.
    public let overhead: [Overhead]
}
