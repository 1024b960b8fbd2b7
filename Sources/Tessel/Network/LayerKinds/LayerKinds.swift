/// The registry of layer kinds: the one list a new kind is added to. Config decoding finds a
/// layer's kind here by its `type`, `tessel op` its operations and TesselBenchmarking's
/// `LayerBenchmark.all` their benchmarks (in this order, the order a CS231n network meets its layers).
package enum LayerKinds {
    /// Every layer kind.
    package static let all: [any LayerKind.Type] = [
        AffineKind.self, ReLUKind.self, BatchNormKind.self, LayerNormKind.self, DropoutKind.self,
        ConvolutionKind.self, MaxPoolKind.self, SpatialBatchNormKind.self, GroupNormKind.self,
        AveragePoolKind.self,
    ]

    /// The kind whose config `type` is `typeName`, or nil.
    package static func named(_ typeName: String) -> (any LayerKind.Type)? {
        all.first { $0.typeName == typeName }
    }

    /// Every `tessel op` operation: the layer kinds', then the losses'.
    package static let operations: [LayerOperation] = all.flatMap { $0.operations } + LossFunction.operations
}

/// A key of a config file's layer object: `type`, or one of the keys of the kinds.
package struct LayerConfigKey: CodingKey, CaseIterable, Hashable, Sendable {
    package let stringValue: String
    package var intValue: Int? { nil }

    package init(_ name: String) { stringValue = name }
    package init(stringValue: String) { self.init(stringValue) }
    package init?(intValue: Int) { nil }

    /// The layer's kind.
    package static let type = LayerConfigKey("type")

    /// `type` and every key of every kind, each once.
    package static var allCases: [LayerConfigKey] {
        var keys = [type]
        for key in LayerKinds.all.flatMap({ $0.configKeys }) where !keys.contains(key) { keys.append(key) }
        return keys
    }
}
