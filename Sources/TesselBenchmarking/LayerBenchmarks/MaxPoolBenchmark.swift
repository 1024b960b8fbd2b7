import Tessel

extension LayerBenchmark {
    /// Max pooling forward and backward on x (64, 64, 32, 32) with 2×2 windows, stride 2;
    /// rate in GB/s. k² − 1 comparisons per output each way; the backward reads x again to
    /// find each window's maximum.
    public static let maxPool = pooling(MaxPoolKind.self, operationsPerOutput: { $0.poolHeight * $0.poolWidth - 1 },
                                        backwardReadsInput: true)
}

extension MaxPoolKind: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.maxPool] }
}
