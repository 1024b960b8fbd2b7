// swift-tools-version:6.1
// Tessel's package-benchmark suite: a separate package, so that the library's own build and
// CI stay lean. Run it from this folder (see docs/BENCHMARKS.md):
//
//     swift package benchmark
//
// The MallocInterposer trait counts allocations without jemalloc (the default trait needs a
// package this machine does not mirror).
import PackageDescription

// SwiftPM names a path dependency by its folder, lowercased ("tessel", or a worktree's own
// folder name), not by its manifest's name: find that name rather than assume it.
let tesselPackage = Context.packageDirectory.split(separator: "/").dropLast().last.map { $0.lowercased() } ?? "tessel"

let package = Package(
    name: "TesselBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "LayerBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Tessel", package: tesselPackage),
                .product(name: "TesselBenchmarking", package: tesselPackage),
            ],
            path: "Benchmarks/LayerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // A plain executable (`swift run -c release AllocationBenchmark`): allocation cost per
        // NUMA policy against posix_memalign, and ReLU under each NUMA mode.
        .executableTarget(
            name: "AllocationBenchmark",
            dependencies: [.product(name: "Tessel", package: tesselPackage)],
            path: "Benchmarks/AllocationBenchmark"
        ),
    ],
    swiftLanguageModes: [.v6]
)
