/// How `tessel run` times a network: the batch it runs and how many steps it measures.
///
/// In a config file: the `run` object, `{ "batchSize": 512, "steps": 10, "warmup": 2, "shards": 1 }`.
public struct RunSettings: Sendable, Equatable {
    /// Examples per forward+backward step (≥ 1).
    public var batchSize: Int
    /// Timed steps (≥ 1).
    public var steps: Int
    /// Untimed steps before them, which allocate buffers and warm caches (≥ 0).
    public var warmup: Int
    /// Shards the batch is cut into (1 ... batchSize; see `ShardLayout`); the MPI ranks of
    /// `tessel run --distributed` may be any number up to it.
    public var shards: Int

    /// Settings with these values (defaults: batch 64, 10 steps, 2 warm-up steps, 1 shard).
    public init(batchSize: Int = 64, steps: Int = 10, warmup: Int = 2, shards: Int = 1) {
        self.batchSize = batchSize
        self.steps = steps
        self.warmup = warmup
        self.shards = shards
    }
}

extension RunSettings: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case batchSize, steps, warmup, shards
    }

    /// Decodes the `run` object; every key is optional.
    /// - Throws: `DecodingError` at a key whose value is not an integer in range.
    public init(from decoder: any Decoder) throws {
        let keys = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let defaults = RunSettings()
        self.init(batchSize: try keys.integer(.batchSize, default: defaults.batchSize, atLeast: 1),
                  steps: try keys.integer(.steps, default: defaults.steps, atLeast: 1),
                  warmup: try keys.integer(.warmup, default: defaults.warmup, atLeast: 0),
                  shards: try keys.integer(.shards, default: defaults.shards, atLeast: 1))
    }
}
