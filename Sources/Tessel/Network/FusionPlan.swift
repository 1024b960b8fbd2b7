/// Which layers of a training step run fused: a normalization (batch norm, spatial batch norm,
/// layer norm, group norm) followed by a ReLU applies the ReLU in its own passes while the data
/// is in cache (`FusedChain`) — forward, max(0, ·) on each span as its output pass writes it;
/// backward, the ReLU's mask on each span of dout before the normalization sums it — and the
/// ReLU layer itself runs nothing. A spatial batch norm or a group norm followed by a ReLU and a
/// max pool runs all three where the chain suits the pool (`PoolFusingNormalization`,
/// `PoolFusingKind`): the ReLU's output is never stored. A normalization followed by a ReLU and
/// a dropout runs the dropout too, span by span right after the ReLU wrote it (`FusedDropout`),
/// and its backward masks dout by both (`ChainMask`): no dropout mask is stored. A fused chain
/// gives the bits of the layers run one by one.
struct FusionPlan: Sendable, Equatable {
    /// By layer index: whether the layer is a normalization that applies the ReLU after it.
    let appliesNextReLU: [Bool]
    /// By layer index: whether the layer also runs the max pool after that ReLU; then the
    /// pool's window.
    let pooling: [PoolingWindow?]
    /// By layer index: whether the layer also runs the dropout after that ReLU (where it does
    /// not pool); then the dropout's keep probability.
    let dropping: [Double?]

    /// The plan for `layers`, whose outputs for one example have `shapes`
    /// (`NetworkDefinition.shapes()`): no fusion unless `enabled`.
    init(layers: [LayerSpec], shapes: [[Int]], enabled: Bool) {
        let appliesNextReLU = layers.indices.map { index in
            enabled && index + 1 < layers.count && layers[index + 1].kind is ReLUKind
                && (layers[index].kind is any ShardableNormalization || layers[index].kind is any ReLUFusingKind)
        }
        self.appliesNextReLU = appliesNextReLU
        pooling = layers.indices.map { index in
            guard appliesNextReLU[index], index + 2 < layers.count, let pool = layers[index + 2].kind as? MaxPoolKind else { return nil }
            let kind = layers[index].kind
            let suits = if let kind = kind as? any PoolFusingKind {
                kind.chainSuits(pooling: pool.window)
            } else {
                kind is any PoolFusingNormalization && SpatialBatchNorm.chainSuits(pooling: pool.window, width: shapes[index].last!)
            }
            return suits ? pool.window : nil
        }
        dropping = layers.indices.map { [pooling] index in
            guard appliesNextReLU[index], pooling[index] == nil, index + 2 < layers.count,
                  let dropout = layers[index + 2].kind as? DropoutKind else { return nil }
            return dropout.keep
        }
    }

    /// The layer whose passes run layer `index`, when another one does: a ReLU fused into the
    /// normalization before it, or a max pool or a dropout fused into the one two layers before.
    func head(of index: Int) -> Int? {
        if index > 0 && appliesNextReLU[index - 1] { return index - 1 }
        if index > 1 && (pooling[index - 2] != nil || dropping[index - 2] != nil) { return index - 2 }
        return nil
    }

    /// The layers that layer `index` runs in its own passes: the ReLU after it, and the max
    /// pool or the dropout after that one where it runs them; empty when it runs none.
    func layers(fusedInto index: Int) -> Range<Int> {
        (index + 1)..<(index + 1 + (pooling[index] != nil || dropping[index] != nil ? 2 : appliesNextReLU[index] ? 1 : 0))
    }

    /// Whether layer `index` runs inside a layer before it.
    func isFused(_ index: Int) -> Bool { head(of: index) != nil }
}

extension Network {
    /// The layer whose passes run layer `index` in a training step with `fusesChains` on, when
    /// that is another layer (a ReLU, or a ReLU and a max pool or a dropout, fused into the
    /// normalization before them, see `FusionPlan`); nil when the layer runs on its own.
    public func layer(runningFused index: Int) -> Int? {
        FusionPlan(layers: definition.layers, shapes: shapes, enabled: fusesChains).head(of: index)
    }
}
