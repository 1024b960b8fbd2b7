import Foundation
import Testing
import Tessel
import TesselGolden
import TesselOps

/// The golden digests of every layer's outputs (`golden/layers.sha256`) come out of every
/// order-neutral setting: worker counts 1 … 8, tile settings that cut even these small cases into
/// many tiles, no grain (so every call runs in parallel), every NUMA mode and huge pages.
/// The same file binds the AVX2 and AVX-512 builds: `.ci/run` runs this suite with both.
@Suite(.serialized) struct GoldenHashTests {
    static let root = String(#filePath.dropLast("/Tests/TesselTests/GoldenHashTests.swift".count))
    static let goldenPath = root + "/golden/layers.sha256"

    /// Order-neutral settings: each gives the golden bits.
    struct Setting: Sendable, CustomTestStringConvertible {
        var workers: Int
        var tiles: TileSettings
        var grainSize: Int = 0
        var numa: NumaMode = .disabled
        var hugePages = false
        var testDescription: String {
            "\(workers) workers, tiles \(tiles.elementsPerTile)/\(tiles.gemmRowBlock)/\(tiles.gemmColumnBlock), grain \(grainSize), "
                + "numa \(numa.rawValue)\(hugePages ? ", huge pages" : "")"
        }
    }

    static let smallTiles = TileSettings(elementsPerTile: 61, gemmRowBlock: 7, gemmColumnBlock: 17)
    static let oddTiles = TileSettings(elementsPerTile: 1000, gemmRowBlock: 13, gemmColumnBlock: 101)

    static let settings: [Setting] = [
        Setting(workers: 1, tiles: TileSettings(), grainSize: Scheduler.defaultGrainSize),
        Setting(workers: 2, tiles: smallTiles, numa: .local),
        Setting(workers: 3, tiles: smallTiles),
        Setting(workers: 4, tiles: smallTiles, numa: .partitioned),
        Setting(workers: 8, tiles: smallTiles),
        Setting(workers: 3, tiles: oddTiles, numa: .interleave, hugePages: true),
    ]

    @Test(arguments: settings)
    func everyLayerOutputMatchesItsGoldenDigest(setting: Setting) throws {
        let runtime = RuntimeSettings(workers: setting.workers, grainSize: setting.grainSize, tiles: setting.tiles,
                                      numa: setting.numa, hugePages: setting.hugePages)
        let scheduler = try runtime.makeScheduler(environment: [:])
        let golden = try GoldenFile.read(from: Self.goldenPath)
        let digests = try GoldenLayers.digests(scheduler: scheduler)
        let (changed, missing, extra) = golden.differences(from: digests)
        #expect(changed.isEmpty, "outputs that differ from \(Self.goldenPath): \(changed)")
        #expect(missing.isEmpty && extra.isEmpty, "the golden file and the cases disagree: missing \(missing), new \(extra)")
        #expect(digests.count == golden.digests.count)
    }

    /// The small tile settings really do cut the cases into at least two tiles per worker at 8
    /// workers (else the worker counts above would all run one tile, serially): here ReLU's
    /// 3 × 5 × 7 × 11 input and the 67 × 73 output of `affine/deep`.
    @Test func smallTilesGiveSeveralTilesPerWorker() throws {
        let elementWise = Tiling(rows: 3 * 5 * 7 * 11, tileRows: Self.smallTiles.elementsPerTile)
        #expect(elementWise.count >= 2 * 8)
        let gemm = Tiling(rows: 67, columns: 73, tileRows: Self.smallTiles.gemmRowBlock, tileColumns: Self.smallTiles.gemmColumnBlock)
        #expect(gemm.count >= 2 * 8)
    }

    /// A planted one-bit change in a layer's output is caught: the digests are of the bits.
    @Test func aOneBitChangeChangesTheDigest() throws {
        var tensor = try Tensor<Float>(shape: [3, 5], scalars: (0..<15).map { Float($0) / 7 })
        let before = SHA256.hexDigest(NPY.encode(tensor))
        tensor.withUnsafeMutableBufferPointer { $0[11] = Float(bitPattern: $0[11].bitPattern ^ 1) }
        #expect(SHA256.hexDigest(NPY.encode(tensor)) != before)
    }
}
