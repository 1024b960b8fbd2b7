// swift-tools-version:6.1
// Tessel: a multicore parallel runtime for the CS231n layer set.
//
// Builds compile the kernels for the host CPU (`-target-cpu native`): Swift emits fused
// multiply-adds and wide vectors only for a CPU that has them. For a binary to carry to another
// machine (docs/BENCHMARKS.md), set in the environment of `swift build` either
// TESSEL_TARGET_CPU to that machine's instruction set (`skylake-avx512`: any x86-64 with
// AVX-512; `haswell`: AVX2 with FMA), or TESSEL_PORTABLE=1, which means `haswell` (x86-64-v3:
// Intel Haswell, AMD Zen and later).
import Foundation
import PackageDescription

let portable = Context.environment["TESSEL_PORTABLE"] == "1"
let targetCPU = Context.environment["TESSEL_TARGET_CPU"] ?? (portable ? "haswell" : nil)
let cpuFlags: [String] = ["-target-cpu", targetCPU ?? "native"]

// The GEMM micro-kernels are shaped for the vector registers of the target: 16 × 512-bit with
// AVX-512, 16 × 256-bit with AVX2. `native` targets the host, so its /proc/cpuinfo decides;
// a named TESSEL_TARGET_CPU decides by its name. Swift has no `#if` for CPU features, hence
// the define.
let avx512CPUs: Set = ["skylake-avx512", "cascadelake", "cooperlake", "icelake-server", "icelake-client",
                       "tigerlake", "sapphirerapids", "emeraldrapids", "graniterapids", "znver4", "znver5"]
let hostHasAVX512 = (targetCPU.map { avx512CPUs.contains($0) }
    ?? ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx512f ") ?? false))

// `tessel run --distributed` and `tessel train --distributed` run over Open MPI (docs/DISTRIBUTED.md).
// Its development files are optional: the CMPI binding and the TesselDistributed target that
// uses it join the package only where pkg-config can find `ompi-c` (Debian: libopenmpi-dev),
// so `swift build` and `swift test` work on a machine without MPI, and the CLI then says how
// to get it. TESSEL_MPI=0 leaves MPI out even where it is installed.
let pkgConfigFolders = (Context.environment["PKG_CONFIG_PATH"] ?? "").split(separator: ":").map(String.init)
    + ["/usr/lib/x86_64-linux-gnu/pkgconfig", "/usr/lib/aarch64-linux-gnu/pkgconfig", "/usr/lib64/pkgconfig",
       "/usr/lib/pkgconfig", "/usr/local/lib/pkgconfig", "/usr/share/pkgconfig"]
let withMPI = Context.environment["TESSEL_MPI"] != "0"
    && pkgConfigFolders.contains { FileManager.default.fileExists(atPath: $0 + "/ompi-c.pc") }

let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"] + cpuFlags, .when(configuration: .release)),
    .unsafeFlags(cpuFlags, .when(configuration: .debug)),
] + (hostHasAVX512 ? [.define("TESSEL_AVX512")] : [])

let mpiTargets: [Target] = withMPI ? [
    .systemLibrary(
        name: "CMPI",
        path: "Sources/CMPI",
        pkgConfig: "ompi-c",
        providers: [.apt(["libopenmpi-dev"])]
    ),
    // The MPI side of data-parallel training: Tessel's ShardExchange over MPI_Allgather.
    .target(name: "TesselDistributed", dependencies: ["Tessel", "CMPI"], swiftSettings: kernelSettings),
] : []

// Tessel builds and runs on Linux only: x86-64 with AVX2 and FMA (x86-64-v3) or AVX-512, glibc,
// and libnuma (Debian: libnuma-dev). Built and tested on Debian 12 with Swift 6.3. The code calls
// Glibc, libnuma and Linux's sysfs and /proc directly, so it does not build on Apple platforms,
// and SwiftPM's `platforms` (which lists Apple platforms only) is left out.
let package = Package(
    name: "Tessel",
    products: [
        .library(name: "Tessel", targets: ["Tessel"]),
        // The benchmark registry and the scaling study, for the benchmark package in Benchmarks/.
        .library(name: "TesselBenchmarking", targets: ["TesselBenchmarking"]),
        .executable(name: "tessel", targets: ["TesselCLI"]),
        // The C interface (Sources/CTessel/tessel.h) as libTesselC.so, for the Python package in python/.
        .library(name: "TesselC", type: .dynamic, targets: ["TesselC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CNuma",
            path: "Sources/CNuma",
            providers: [.apt(["libnuma-dev"])]
        ),
        .systemLibrary(name: "CCacheHints", path: "Sources/CCacheHints"),
        // File and process utilities for the package's own targets, not for users (`package`
        // access): atomic file writes, their temporary names, atomic path exchange, this
        // process's memory figures. Their errors are `SystemCallError`s, which the library
        // rethrows as `TesselError.system`.
        .target(name: "TesselSystem"),
        .target(
            name: "Tessel",
            dependencies: [
                "CNuma",
                "CCacheHints",
                "TesselSystem",
                .product(name: "RealModule", package: "swift-numerics"),
            ],
            swiftSettings: kernelSettings
        ),
        // The benchmarks of every layer kind (each kind's shapes, inputs, passes and their cost)
        // and what measures them: the scaling study and its reports, the peer comparison, the
        // machine's peak. Used by `tessel scale`, `tessel bench` and Benchmarks/.
        .target(
            name: "TesselBenchmarking",
            dependencies: ["Tessel", "TesselSystem", "CCacheHints", .product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: kernelSettings
        ),
        // The layers by CS231n's names and argument names, as `tessel op` and the golden files run them.
        .target(name: "TesselOps", dependencies: ["Tessel"], swiftSettings: kernelSettings),
        // The golden digests of every layer's outputs (golden/, `tessel golden`).
        .target(name: "TesselGolden", dependencies: ["Tessel", "TesselOps", "TesselSystem"], swiftSettings: kernelSettings),
        .executableTarget(
            name: "TesselCLI",
            dependencies: [
                "Tessel",
                "TesselBenchmarking",
                "TesselOps",
                "TesselGolden",
                "TesselSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + (withMPI ? ["TesselDistributed"] : []),
            // TESSEL_WITH_MPI, not `canImport(TesselDistributed)`: a module left in the build folder
            // by a build that found MPI would otherwise be imported by one that did not.
            swiftSettings: kernelSettings + (withMPI ? [.define("TESSEL_WITH_MPI")] : [])
        ),
        // tessel.h: the C interface's declarations, implemented by TesselC.
        .systemLibrary(name: "CTessel", path: "Sources/CTessel"),
        .target(name: "TesselC", dependencies: ["Tessel", "CTessel"], swiftSettings: kernelSettings),
        // Counts a thread's heap allocations (interposes malloc in the test binary only).
        .target(name: "MallocCounter", path: "Tests/MallocCounter"),
        // What both test targets use: seeded test data, temporary folders, small training setups.
        .target(name: "TesselTestSupport", dependencies: ["Tessel"], path: "Tests/TesselTestSupport"),
        // Unit tests of the library, in process: layers, kernels, scheduler, network, files.
        .testTarget(
            name: "TesselTests",
            dependencies: ["Tessel", "TesselBenchmarking", "TesselOps", "TesselGolden", "TesselSystem", "MallocCounter",
                           "TesselTestSupport"],
            swiftSettings: kernelSettings
        ),
        // End-to-end tests: the built `tessel` run as a child process (exit statuses and
        // messages, signals, memory limits, full disks, the commands' files).
        .testTarget(
            name: "TesselEndToEndTests",
            dependencies: ["Tessel", "TesselBenchmarking", "TesselOps", "TesselGolden", "TesselSystem", "TesselTestSupport"]
        ),
    ] + mpiTargets,
    swiftLanguageModes: [.v6]
)
