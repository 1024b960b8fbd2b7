import Tessel

extension LayerBenchmark {
    /// Every benchmark, in the order a CS231n network meets its layers: the layer kinds' in the
    /// order of `LayerKinds.all`, then the losses'. Each kind's benchmark file conforms it to
    /// `BenchmarkedKind`, so a new kind's benchmarks join without a change here.
    public static let all: [LayerBenchmark] =
        LayerKinds.all.flatMap { ($0 as? any BenchmarkedKind.Type)?.benchmarks ?? [] } + LossFunction.benchmarks

    /// The benchmark called `name`, or nil.
    public static func named(_ name: String) -> LayerBenchmark? {
        all.first { $0.name == name }
    }
}
