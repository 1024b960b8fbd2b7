/// A normalization layer kind (`batchnorm`, `spatial_batchnorm`, `layernorm`, `groupnorm`):
/// learnable γ (ones) and β (zeros), one per feature or channel of its input.
package protocol NormalizationKind: LayerKind {}

extension NormalizationKind {
    package func parameters(input: [Int]) -> [ParameterSpec] {
        [ParameterSpec("gamma", [input[0]], .constant(1)), ParameterSpec("beta", [input[0]], .constant(0))]
    }

    /// 8 per element forward (moments, normalize, scale and shift), 12 backward.
    package func flops(input: [Int], inputElements: Double, outputElements: Double) -> (forward: Double, backward: Double) {
        (8 * inputElements, 12 * inputElements)
    }
}

/// A batch normalization kind (`batchnorm`, `spatial_batchnorm`): `eps` and `momentum` in the
/// config, running statistics, and the statistics of the whole batch when sharded.
package protocol BatchNormalizationKind: NormalizationKind, ShardableNormalization {
    /// Added to the variance before the square root (> 0).
    var epsilon: Double { get }
    /// The weight of the old running statistics (in [0, 1]).
    var momentum: Double { get }

    init(epsilon: Double, momentum: Double)
}

extension BatchNormalizationKind {
    package static var configKeys: [LayerConfigKey] { ["eps", "momentum"].map { LayerConfigKey($0) } }

    /// `eps` (1e-5) and `momentum` (0.9).
    package init(config: KeyedDecodingContainer<LayerConfigKey>) throws {
        self.init(epsilon: try config.epsilon(), momentum: try config.momentum())
    }

    package func encode(config: inout KeyedEncodingContainer<LayerConfigKey>) throws {
        for (key, value) in zip(Self.configKeys, [epsilon, momentum]) { try config.encode(value, forKey: key) }
    }

    package var keepsRunningStatistics: Bool { true }

    /// The layer's parameters in `mode`.
    func layerParameters(_ mode: Mode) -> BatchNorm.Parameters { BatchNorm.Parameters(mode: mode, eps: epsilon, momentum: momentum) }

    package var trainParameters: BatchNorm.Parameters { layerParameters(.train) }
}
