import ArgumentParser
import Tessel
import TesselBenchmarking

/// The workloads a `--layers` option names.
enum BenchmarkSelection {
    /// The workloads named in the comma-separated `layers`, in the registry's order, or all of
    /// them when `layers` is nil.
    /// - Throws: `ValidationError` naming an unknown workload, or when the list is empty.
    static func workloads(_ layers: String?) throws -> [LayerBenchmark] {
        guard let layers else { return LayerBenchmark.all }
        let names = layers.split(separator: ",").map { String($0).trimmingSpaces() }
        for name in names where LayerBenchmark.named(name) == nil {
            let known = LayerBenchmark.all.map(\.name).joined(separator: ", ")
            throw ValidationError("unknown workload '\(name)' in --layers (known: \(known))")
        }
        guard !names.isEmpty else { throw ValidationError("--layers needs at least one workload name") }
        return LayerBenchmark.all.filter { names.contains($0.name) }
    }
}
