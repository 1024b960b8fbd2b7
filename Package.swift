// swift-tools-version:6.1
// Tessel: a multicore parallel runtime for the CS231n layer set.
//
// Release builds compile the kernels for the host CPU (`-target-cpu native`), which is
// what gives AVX-512 fused multiply-adds. Set TESSEL_PORTABLE=1 in the environment of
// `swift build` for a binary that runs on any x86-64 (e.g. to carry it to another machine).
import Foundation
import PackageDescription

let portable = Context.environment["TESSEL_PORTABLE"] == "1"
let cpuFlags: [String] = portable ? [] : ["-target-cpu", "native"]

// The GEMM micro-kernels are shaped for the vector registers of the target: 16 × 512-bit with
// AVX-512, 16 × 256-bit with AVX2. `native` targets the host, so its /proc/cpuinfo decides;
// Swift has no `#if` for CPU features, hence the define.
let hostHasAVX512 = !portable
    && ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx512f ") ?? false)

let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"] + cpuFlags, .when(configuration: .release)),
    .unsafeFlags(cpuFlags, .when(configuration: .debug)),
] + (hostHasAVX512 ? [.define("TESSEL_AVX512")] : [])

let package = Package(
    name: "Tessel",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Tessel", targets: ["Tessel"]),
        .executable(name: "tessel", targets: ["TesselCLI"]),
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
        .target(
            name: "Tessel",
            dependencies: [
                "CNuma",
                .product(name: "RealModule", package: "swift-numerics"),
            ],
            swiftSettings: kernelSettings
        ),
        .executableTarget(
            name: "TesselCLI",
            dependencies: [
                "Tessel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: kernelSettings
        ),
        .testTarget(
            name: "TesselTests",
            dependencies: ["Tessel"],
            swiftSettings: kernelSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
