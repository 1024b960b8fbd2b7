/// How `tessel train` trains a network: the update rule, the epochs and the mini-batch size.
///
/// In a config file: the `train` object, e.g.
/// `{ "optimizer": "adam", "learningRate": 0.001, "learningRateDecay": 0.95, "epochs": 10, "batchSize": 100 }`.
/// The hyperparameter keys are those of `OptimizerSettings`; absent ones take `optim.py`'s defaults.
public struct TrainingSettings: Sendable, Equatable {
    /// The update rule and its hyperparameters.
    public var optimizer: OptimizerSettings
    /// Passes over the training examples (≥ 1).
    public var epochs: Int
    /// Examples per update (≥ 1); the last batch of an epoch may be smaller.
    public var batchSize: Int
    /// Shards each batch is cut into (≥ 1, see `ShardLayout`): the reductions over the batch
    /// are computed per shard and folded in shard order, so training on any number of MPI
    /// ranks up to `shards` gives the same bits as one process. Every batch, the last
    /// of an epoch included, needs at least `shards` examples.
    public var shards: Int

    /// Settings with these values.
    public init(optimizer: OptimizerSettings, epochs: Int = 10, batchSize: Int = 100, shards: Int = 1) {
        self.optimizer = optimizer
        self.epochs = epochs
        self.batchSize = batchSize
        self.shards = shards
    }
}

extension TrainingSettings: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case optimizer, learningRate, momentum, decayRate, beta1, beta2, epsilon, learningRateDecay, epochs, batchSize, shards
    }

    /// Decodes the `train` object.
    /// - Throws: `DecodingError` at the key: `optimizer` is required and one of `sgd`,
    ///   `sgd_momentum`, `rmsprop`, `adam`; a hyperparameter that the rule does not use, or
    ///   one out of its domain (see `OptimizerSettings`); `epochs`, `batchSize` and `shards`
    ///   not integers ≥ 1.
    public init(from decoder: any Decoder) throws {
        let keys = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let name = try keys.decode(String.self, forKey: .optimizer)
        guard let rule = OptimizerSettings.Rule(rawValue: name) else {
            let known = OptimizerSettings.Rule.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(forKey: .optimizer, in: keys, debugDescription: "unknown update rule '\(name)' (expected one of \(known))")
        }
        let specific: [CodingKeys] = switch rule {
        case .sgd: []
        case .sgdMomentum: [.momentum]
        case .rmsprop: [.decayRate, .epsilon]
        case .adam: [.beta1, .beta2, .epsilon]
        }
        let foreign: Set<CodingKeys> = Set([.momentum, .decayRate, .beta1, .beta2, .epsilon]).subtracting(specific)
        if let stray = keys.allKeys.filter(foreign.contains).min(by: { $0.stringValue < $1.stringValue }) {
            throw DecodingError.dataCorruptedError(forKey: stray, in: keys, debugDescription: "not a hyperparameter of '\(name)'")
        }
        let optimizer: OptimizerSettings
        do {
            optimizer = try OptimizerSettings(
                rule: rule, learningRate: try keys.decodeIfPresent(Double.self, forKey: .learningRate),
                momentum: try keys.decodeIfPresent(Double.self, forKey: .momentum),
                decayRate: try keys.decodeIfPresent(Double.self, forKey: .decayRate),
                beta1: try keys.decodeIfPresent(Double.self, forKey: .beta1), beta2: try keys.decodeIfPresent(Double.self, forKey: .beta2),
                epsilon: try keys.decodeIfPresent(Double.self, forKey: .epsilon),
                learningRateDecay: try keys.decodeIfPresent(Double.self, forKey: .learningRateDecay))
        } catch let TesselError.invalidParameter(_, parameter, value, reason) {
            throw DecodingError.dataCorrupted(.init(codingPath: keys.codingPath + [AnyCodingKey(stringValue: parameter)],
                                                    debugDescription: "\(reason), got \(value)"))
        }
        self.init(optimizer: optimizer, epochs: try keys.integer(.epochs, default: 10, atLeast: 1),
                  batchSize: try keys.integer(.batchSize, default: 100, atLeast: 1),
                  shards: try keys.integer(.shards, default: 1, atLeast: 1))
    }
}
