import ArgumentParser
import Tessel

/// `--buffer-cache` / `--no-buffer-cache`, shared by the commands that run layers in a loop
/// (`run`, `train`, `bench`).
struct BufferCacheOption: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "Reuse released tensors' pages from call to call through the block cache (`BlockCache`).")
    var bufferCache = true

    /// Enables `BlockCache.shared` unless `--no-buffer-cache` was given.
    func apply() {
        if bufferCache { BlockCache.shared.enable() }
    }
}
