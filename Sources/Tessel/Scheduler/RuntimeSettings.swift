#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How many workers run the kernels and how work is cut into tiles: settable from code, or
/// from a JSON settings file such as `config/runtime.json`:
///
/// ```json
/// { "workers": null, "grainSize": 262144, "numa": "disabled", "hugePages": false, "fusion": true,
///   "tiles": { "elementsPerTile": 32768, "gemmRowBlock": 96, "gemmColumnBlock": 512 } }
/// ```
///
/// **Every setting here is order-neutral**: `workers`, `grainSize`, `tiles`, `numa`,
/// `hugePages` and `fusion` choose how work is cut, who runs it, where memory lies and which
/// passes run together, never the order of a floating-point sum, so every value gives the same bits (`GoldenHashTests` and
/// `scripts/golden_check.sh` check that against `golden/`). What fixes a summation order is no
/// setting: it is a function of the shape alone — `Tiling.split`, `ItemChunks`, `ChunkPartials`,
/// `GEMM.depthBlocks`, the 16 lanes of `SpanSums`, the polynomials of `VectorMath` — or of the
/// config (`RunSettings.shards`, `TrainingSettings.shards`), never of the machine.
///
/// Every key is optional (a missing key keeps its default); an unknown key, a value of the
/// wrong type or out of range is an error naming the file and the dotted key. The environment
/// variables `TESSEL_THREADS` and `TESSEL_NUMA` override `workers` and `numa` in `makeScheduler`;
/// `TESSEL_MEMORY_LIMIT` overrides `memoryLimit` in `applyMemoryLimit`.
public struct RuntimeSettings: Codable, Sendable, Equatable {
    /// The most threads a kernel call uses (≥ 1); nil means every online CPU.
    public var workers: Int?
    /// Estimated work below which a call runs inline (≥ 0); see `Scheduler.grainSize`.
    public var grainSize: Int
    /// Tile sizes of the non-reduced dimensions (each ≥ 1); see `TileSettings`.
    public var tiles: TileSettings
    /// Where tensors are placed and whether tiles follow their data; see `NumaMode`.
    public var numa: NumaMode
    /// Advise buffers of 2 MiB and more onto transparent huge pages.
    public var hugePages: Bool
    /// The most memory Tessel's allocators may hold (nil: the system's limits only); see
    /// `MemoryLimit` and `applyMemoryLimit`.
    public var memoryLimit: MemorySize?
    /// Whether training steps run a normalization and the ReLU after it (and a max pool or a
    /// dropout after that) as one fused chain (`Network.fusesChains`; the same bits either way).
    public var fusion: Bool

    /// The environment variable that overrides `workers`: a positive integer.
    public static let workersVariable = "TESSEL_THREADS"

    /// Settings with the given values; the defaults are those of `config/runtime.json`.
    public init(workers: Int? = nil, grainSize: Int = Scheduler.defaultGrainSize, tiles: TileSettings = TileSettings(),
                numa: NumaMode = .disabled, hugePages: Bool = false, memoryLimit: MemorySize? = nil, fusion: Bool = true) {
        self.workers = workers
        self.grainSize = grainSize
        self.tiles = tiles
        self.numa = numa
        self.hugePages = hugePages
        self.memoryLimit = memoryLimit
        self.fusion = fusion
    }

    /// The keys of a settings file. Adding a setting: a case here, a property, and its line in
    /// `init(from:)` (and in `validate` when it has a range).
    enum CodingKeys: String, CodingKey, CaseIterable {
        case workers, grainSize, tiles, numa, hugePages, memoryLimit, fusion
    }

    /// Decodes a settings object: missing keys keep their defaults, unknown keys and values
    /// of the wrong type are `DecodingError`s at their key. Ranges are checked by `decode`.
    public init(from decoder: any Decoder) throws {
        let keys = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let defaults = RuntimeSettings()
        self.init(workers: try keys.optionalInteger(.workers, default: defaults.workers),
                  grainSize: try keys.integer(.grainSize, default: defaults.grainSize),
                  tiles: try keys.value(.tiles, default: defaults.tiles),
                  numa: try keys.value(.numa, default: defaults.numa),
                  hugePages: try keys.value(.hugePages, default: defaults.hugePages),
                  memoryLimit: try keys.value(.memoryLimit, default: defaults.memoryLimit),
                  fusion: try keys.value(.fusion, default: defaults.fusion))
    }

    /// Reads the JSON settings file at `path`.
    /// - Throws: `TesselError.system` when the file cannot be read; otherwise as `decode`.
    public static func load(from path: String) throws -> RuntimeSettings {
        try decode(FileBytes.read(from: path), source: path)
    }

    /// Decodes settings from the bytes of a JSON file; `source` names it in errors.
    /// - Throws: `TesselError.configuration(source: source, key:, reason:)` where `key` is the
    ///   dotted path of the offending key (`tiles.gemmRowBlock`), for an unknown key, a value of
    ///   the wrong type, a non-integer number, or a value out of range; `key` is `(document)`
    ///   when the file is not valid JSON or not a JSON object.
    public static func decode(_ bytes: [UInt8], source: String) throws -> RuntimeSettings {
        let settings: RuntimeSettings
        do {
            settings = try JSONDecoder().decode(RuntimeSettings.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw TesselError.configuration(source: source, key: error.dottedKey, reason: error.reason(in: bytes))
        }
        try settings.validate(source: source)
        return settings
    }

    /// Checks every value's range.
    /// - Throws: `TesselError.configuration(source: source, key:, reason:)` at the first bad value.
    public func validate(source: String) throws {
        if let workers, workers < 1 {
            throw TesselError.configuration(source: source, key: CodingKeys.workers.stringValue,
                                            reason: "must be at least 1 (or null for every online CPU), got \(workers)")
        }
        if grainSize < 0 {
            throw TesselError.configuration(source: source, key: CodingKeys.grainSize.stringValue,
                                            reason: "must not be negative, got \(grainSize)")
        }
        try tiles.validate(source: source, key: CodingKeys.tiles.stringValue)
    }

    /// Sets the limit of `MemoryBudget.shared` (which every allocator counts in unless given
    /// another cache) to the lowest of `memoryLimit` (or `TESSEL_MEMORY_LIMIT` in
    /// `environment`, which overrides it), the cgroup's limit and physical memory; see
    /// `MemoryLimit.lowest`. `source` names the settings (a file) in out-of-memory errors.
    /// - Throws: `TesselError.configuration(source: "environment", key: "TESSEL_MEMORY_LIMIT", …)`
    ///   when the variable is not a memory size.
    public func applyMemoryLimit(source: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let limit = try MemoryLimit.lowest(setting: memoryLimit, settingSource: "runtime.memoryLimit in \(source)",
                                           environment: environment)
        MemoryBudget.shared.setLimit(limit)
    }

    /// A scheduler with these settings. `TESSEL_THREADS` in `environment`, when set, overrides
    /// `workers` (with neither, the scheduler uses every online CPU) and `TESSEL_NUMA` overrides
    /// `numa`. Its allocator places tensors by the NUMA mode; with `partitioned` on several
    /// nodes its tiles follow their data.
    /// - Throws: `TesselError.configuration(source: "environment", key: "TESSEL_THREADS" or
    ///   "TESSEL_NUMA", …)` when a variable holds a bad value; `TesselError.configuration(source:
    ///   "RuntimeSettings", …)` when a value is out of range (see `validate`).
    public func makeScheduler(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Scheduler {
        try validate(source: "RuntimeSettings")
        var workers = self.workers
        if let text = environment[Self.workersVariable] {
            guard let override = Int(text), override >= 1 else {
                throw TesselError.configuration(source: "environment", key: Self.workersVariable,
                                                reason: "must be a positive integer, got '\(text)'")
            }
            workers = override
        }
        let numa = try NumaMode.parse(environment[NumaMode.environmentVariable], source: "environment",
                                      key: NumaMode.environmentVariable) ?? self.numa
        return try Scheduler(workers: workers ?? Scheduler.onlineCPUCount, grainSize: grainSize, tiles: tiles,
                             placement: TilePlacement(mode: numa),
                             allocator: Allocator(mode: numa, hugePages: hugePages))
    }
}
