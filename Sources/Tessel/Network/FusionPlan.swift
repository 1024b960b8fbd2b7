/// Which layers of a training step run fused: a normalization (batch norm, spatial batch norm,
/// layer norm, group norm) followed by a ReLU applies the ReLU in its own passes while the data
/// is in cache (`FusedReLU`) — forward, max(0, ·) on each span as its output pass writes it;
/// backward, the ReLU's mask on each span of dout before the normalization sums it — and the
/// ReLU layer itself runs nothing. The fused chain gives the bits of the layers run one by one.
struct FusionPlan: Sendable, Equatable {
    /// By layer index: whether the layer is a normalization that applies the ReLU after it.
    let appliesNextReLU: [Bool]

    /// The plan for `layers`: no fusion unless `enabled`.
    init(layers: [LayerSpec], enabled: Bool) {
        appliesNextReLU = layers.indices.map { index in
            enabled && index + 1 < layers.count && layers[index + 1].kind is ReLUKind
                && (layers[index].kind is any ShardableNormalization || layers[index].kind is any ReLUFusingKind)
        }
    }

    /// Whether layer `index` is a ReLU that runs inside the layer before it.
    func isFused(_ index: Int) -> Bool { index > 0 && appliesNextReLU[index - 1] }
}

extension Network {
    /// The layer whose passes run layer `index` in a training step with `fusesChains` on, when
    /// that is another layer (a ReLU fused into the normalization before it, see `FusionPlan`); nil
    /// when the layer runs on its own.
    public func layer(runningFused index: Int) -> Int? {
        FusionPlan(layers: definition.layers, enabled: fusesChains).isFused(index) ? index - 1 : nil
    }
}
