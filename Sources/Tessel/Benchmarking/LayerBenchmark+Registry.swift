extension LayerBenchmark {
    /// Every workload, in the order a CS231n network meets its layers.
    /// Each layer kind names its own (`LayerKind.workloads`), so a new kind's workload joins
    /// without a change here.
    public static let all: [LayerBenchmark] = LayerKinds.workloads

    /// The workload called `name`, or nil.
    public static func named(_ name: String) -> LayerBenchmark? {
        all.first { $0.name == name }
    }
}
