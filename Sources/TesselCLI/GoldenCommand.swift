import ArgumentParser
import FoundationEssentials
import Tessel
import TesselGolden

/// `tessel golden`: checks every layer's outputs on the golden cases against the SHA-256
/// digests in `golden/layers.sha256`, or writes that file anew.
struct GoldenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "golden",
        abstract: "Check every layer's outputs against the golden digests (golden/layers.sha256).",
        discussion: """
            Runs every layer and direction in float32 and float64 on the seeded inputs of the golden \
            cases through the tiled kernels, with the given workers and runtime settings, and compares \
            the SHA-256 of each output's .npy bytes with the golden file. Prints each output that differs, \
            is missing or is new, and exits with status 1 if there is one. --write writes the file anew \
            instead (do so only in a commit that says why the bits changed). The run and training \
            goldens are checked by scripts/golden_check.sh.
            """
    )

    @Option(help: "The golden file.")
    var file = "golden/layers.sha256"

    @Flag(help: "Write the golden file from this run instead of checking it.")
    var write = false

    @OptionGroup var threads: ThreadsOption

    @Option(help: "A runtime settings file (JSON; see config/runtime.json) for tiles, grain and NUMA mode.")
    var settings: String?

    func run() throws {
        let runtime = try settings.map { try RuntimeSettings.load(from: $0) } ?? RuntimeSettings()
        let scheduler = try threads.scheduler(for: runtime)
        let numa = try NumaMode.fromEnvironment() ?? runtime.numa
        let digests = try GoldenLayers.digests(scheduler: scheduler)
        if write {
            try GoldenFile(digests: digests).write(to: file)
            print("golden: wrote \(digests.count) digests to \(file)")
            return
        }
        let golden = try GoldenFile.read(from: file)
        let (changed, missing, extra) = golden.differences(from: digests)
        for name in changed { print("differs: \(name)") }
        for name in missing { print("missing: \(name) (in \(file), not computed)") }
        for name in extra { print("new:     \(name) (computed, not in \(file))") }
        let failures = changed.count + missing.count + extra.count
        print("golden: \(digests.count - changed.count - extra.count) of \(golden.digests.count) layer outputs match \(file) "
              + "(\(scheduler.workers) workers, tiles \(scheduler.tiles.elementsPerTile)/\(scheduler.tiles.gemmRowBlock)/"
              + "\(scheduler.tiles.gemmColumnBlock), grain \(scheduler.grainSize), numa \(numa.rawValue))")
        if failures > 0 { throw ExitCode(1) }
    }
}
