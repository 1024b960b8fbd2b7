import Tessel

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Per-layer timings in the schema that `tessel bench` and `Benchmarks/peers/torch_layers.py`
/// both write, so that `Benchmarks/peers/compare.py` can put them side by side.
///
/// ```json
/// { "runtime": "tessel", "date": "2026-11-27T11:40:00Z", "cpu": "AMD EPYC", "cores": 2,
///   "workers": 2, "uptime": [1.9, 2.0, 2.1],
///   "layers": [{ "name": "affine", "shape": "x (512, 3072), w (3072, 1024)",
///                "forward_ms": 41.2, "backward_ms": 80.3, "flops": 9.66e9, "bytes": 2.5e7,
///                "unit": "GFLOP/s" }],
///   "peak": { "fma_gflops_per_core": 96.1, "fma_gflops_per_worker": 95.0 } }
/// ```
///
/// Times are medians in milliseconds. A loss computes its value and gradient in one call in
/// Tessel: its whole time is `forward_ms` and `backward_ms` is 0 (PyTorch reports its autograd
/// backward separately; compare the sums). `flops` and `bytes` are the work of forward plus
/// backward (`BenchmarkCost`). Values Tessel did not measure (`copy_gbps` of a GFLOP/s layer,
/// `peak` without `--peak`) are left out of its JSON; PyTorch's report writes them as null.
public struct PeerReport: Codable, Sendable {
    /// `tessel` or `pytorch`.
    public var runtime: String
    /// When the measurement started, ISO 8601 in UTC.
    public var date: String
    /// The CPU model (`model name` in /proc/cpuinfo).
    public var cpu: String
    /// Online CPUs.
    public var cores: Int
    /// Threads the layers ran on.
    public var workers: Int
    /// The 1-, 5- and 15-minute load averages when the measurement started.
    public var uptime: [Double]
    /// One entry per layer, in the registry's order.
    public var layers: [PeerLayer]
    /// The machine's ceilings, when measured (`tessel bench --peak`).
    public var peak: PeerPeak?

    /// A report; see the properties.
    public init(runtime: String, date: String, cpu: String, cores: Int, workers: Int, uptime: [Double],
                layers: [PeerLayer], peak: PeerPeak?) {
        self.runtime = runtime
        self.date = date
        self.cpu = cpu
        self.cores = cores
        self.workers = workers
        self.uptime = uptime
        self.layers = layers
        self.peak = peak
    }

    /// The report as pretty-printed JSON with sorted keys.
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }
}

/// One layer of a `PeerReport`.
public struct PeerLayer: Codable, Sendable {
    /// The workload's name (`affine`, `conv_3x3`, …).
    public var name: String
    /// Its settings (`x (512, 3072), w (3072, 1024)`).
    public var shape: String
    /// Median milliseconds of the forward pass (of the whole call for a loss).
    public var forwardMilliseconds: Double
    /// Median milliseconds of the backward pass (0 for a loss).
    public var backwardMilliseconds: Double
    /// Floating-point operations of forward plus backward.
    public var flops: Double
    /// Least bytes moved by forward plus backward.
    public var bytes: Double
    /// `GFLOP/s` for arithmetic-bound layers, `GB/s` for memory-bound ones.
    public var unit: String
    /// For a memory-bound layer, the measured copy bandwidth (GB/s) at its working-set size
    /// (the bytes of its larger pass) with the same workers, when measured; otherwise nil.
    public var copyGigabytesPerSecond: Double?

    /// A layer entry; see the properties.
    public init(name: String, shape: String, forwardMilliseconds: Double, backwardMilliseconds: Double,
                flops: Double, bytes: Double, unit: String, copyGigabytesPerSecond: Double?) {
        self.name = name
        self.shape = shape
        self.forwardMilliseconds = forwardMilliseconds
        self.backwardMilliseconds = backwardMilliseconds
        self.flops = flops
        self.bytes = bytes
        self.unit = unit
        self.copyGigabytesPerSecond = copyGigabytesPerSecond
    }

    enum CodingKeys: String, CodingKey {
        case name, shape, flops, bytes, unit
        case forwardMilliseconds = "forward_ms"
        case backwardMilliseconds = "backward_ms"
        case copyGigabytesPerSecond = "copy_gbps"
    }
}

/// The FMA ceilings of a `PeerReport` (`MachinePeak`).
public struct PeerPeak: Codable, Sendable {
    /// GFLOP/s of one thread alone.
    public var fmaGigaflopsPerCore: Double
    /// GFLOP/s per thread with all the report's workers running the loop at once.
    public var fmaGigaflopsPerWorker: Double

    /// Ceilings; see the properties.
    public init(fmaGigaflopsPerCore: Double, fmaGigaflopsPerWorker: Double) {
        self.fmaGigaflopsPerCore = fmaGigaflopsPerCore
        self.fmaGigaflopsPerWorker = fmaGigaflopsPerWorker
    }

    enum CodingKeys: String, CodingKey {
        case fmaGigaflopsPerCore = "fma_gflops_per_core"
        case fmaGigaflopsPerWorker = "fma_gflops_per_worker"
    }
}
