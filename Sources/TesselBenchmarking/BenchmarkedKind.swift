import Tessel

/// A layer kind (or the losses) with benchmarks. Each kind's benchmark file, under
/// `LayerBenchmarks/`, conforms the kind; `LayerBenchmark.all` finds them through
/// `LayerKinds.all`, so a new kind's benchmarks join without a change to the registry.
package protocol BenchmarkedKind {
    /// The benchmarks of this kind (`tessel scale`, `tessel bench`, Benchmarks/), in the order they run.
    static var benchmarks: [LayerBenchmark] { get }
}
