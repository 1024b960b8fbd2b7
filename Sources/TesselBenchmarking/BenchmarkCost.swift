import Tessel

/// The work of one pass of a layer, for turning a time into a rate.
///
/// `flops` counts floating-point operations of the textbook algorithm (a multiply-add is 2);
/// `bytes` is the least memory traffic any implementation needs: every input read once and
/// every output written once, in bytes of the element type.
public struct BenchmarkCost: Sendable, Equatable, Codable {
    /// Floating-point operations of one pass.
    public var flops: Double
    /// Bytes read and written by one pass, at the least.
    public var bytes: Double

    /// A cost of `flops` operations and `bytes` bytes.
    public init(flops: Double, bytes: Double) {
        (self.flops, self.bytes) = (flops, bytes)
    }

    /// The cost of two passes run one after the other.
    public static func + (lhs: BenchmarkCost, rhs: BenchmarkCost) -> BenchmarkCost {
        BenchmarkCost(flops: lhs.flops + rhs.flops, bytes: lhs.bytes + rhs.bytes)
    }
}

/// Which rate tells how well a layer runs: GFLOP/s for layers bound by arithmetic (matrix
/// products, convolutions), GB/s for those bound by memory traffic.
public enum ThroughputUnit: String, Sendable, Codable {
    /// 10⁹ floating-point operations per second.
    case gflops = "GFLOP/s"
    /// 10⁹ bytes per second.
    case gigabytes = "GB/s"

    /// The rate at which `cost` is done in `seconds`.
    public func rate(of cost: BenchmarkCost, seconds: Double) -> Double {
        switch self {
        case .gflops: cost.flops / seconds / 1e9
        case .gigabytes: cost.bytes / seconds / 1e9
        }
    }
}
