import Tessel

extension LayerBenchmark {
    /// Average pooling forward and backward on x (64, 64, 32, 32) with 2×2 windows, stride 2;
    /// rate in GB/s. k² additions per output each way; the backward does not read x.
    public static let averagePool = pooling(AveragePoolKind.self, operationsPerOutput: { $0.poolHeight * $0.poolWidth },
                                            backwardReadsInput: false)
}

extension AveragePoolKind: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.averagePool] }
}
