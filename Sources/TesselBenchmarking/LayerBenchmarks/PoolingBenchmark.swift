import Tessel

extension LayerBenchmark {
    /// The settings of a pooling workload: x (64, 64, 32, 32) with 2×2 windows, stride 2
    /// (small preset: x (2, 4, 8, 8)).
    static let poolingParameters = [
        BenchmarkParameter("x", .shape(rank: 4), standard: .shape([64, 64, 32, 32]), small: .shape([2, 4, 8, 8])),
        BenchmarkParameter("poolHeight", .integer(minimum: 1), standard: .integer(2), small: .integer(2)),
        BenchmarkParameter("poolWidth", .integer(minimum: 1), standard: .integer(2), small: .integer(2)),
        BenchmarkParameter("stride", .integer(minimum: 1), standard: .integer(2), small: .integer(2)),
    ]

    /// The window of a pooling workload's `values`.
    static func poolingWindow(_ values: BenchmarkValues) -> PoolingWindow {
        PoolingWindow(poolHeight: values.integer("poolHeight"), poolWidth: values.integer("poolWidth"), stride: values.integer("stride"))
    }
}
