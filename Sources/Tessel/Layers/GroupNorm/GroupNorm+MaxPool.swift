// Group norm → ReLU → max pool as one chain of a training step (`FusionPlan`): the normalized
// planes and the ReLU's output never reach memory. The forward normalizes each plane into the
// worker's scratch, applies the ReLU there and pools it; the backward recomputes that plane of
// the ReLU's output from x (in cache: a tile owns whole groups), scatters the pool's dout into
// it (`MaxPool.backwardRows`) and masks it by the ReLU, where the layer alone reads its dout.
// Each step is the layers' own element operation on the same values (`CenteredAffine`,
// `forwardReLU`, `ElementWise.reluBackward`, the max pool's row kernels), so the chain gives the
// bits of the three layers run one by one.

/// The backward's view of one group norm → ReLU → max pool chain over checked arguments: x
/// (N, C, H, W), the forward's statistics, γ and β, and the pool's geometry and dout.
struct PooledGroupChain<T: TesselScalar> {
    let x: UnsafePointer<T>, gamma: UnsafePointer<T>, beta: UnsafePointer<T>
    /// Per (n, g): the forward's mean and `1/√(variance + eps)`.
    let mean: UnsafePointer<Double>, inverseStd: UnsafePointer<Double>
    /// The pool's dout, (N, C, H', W').
    let pooledDout: UnsafePointer<T>
    let layout: GroupNorm.GroupLayout
    let geometry: PoolingGeometry

    /// The normalization's dout of channel `c` of `group`, written to `dy` (a plane): the ReLU's
    /// backward of the max pool's backward of that plane of `pooledDout`, the ReLU's output
    /// recomputed into `reluOutput` (a plane) as the forward computed it.
    @inline(__always)
    func layerDout(group: Int, channel c: Int, reluOutput y: UnsafeMutablePointer<T>,
                   into dy: UnsafeMutablePointer<T>) -> UnsafePointer<T> {
        let plane = layout.plane, channel = layout.firstChannel(ofGroup: group) + c
        let index = group * layout.channelsPerGroup + c
        CenteredAffine.forwardReLU(x + index * plane, mean: T(mean[group]), scale: T(Double(gamma[channel]) * inverseStd[group]),
                                   shift: beta[channel], out: y, count: plane)
        MaxPool.backwardThroughReLU(y, pooledDout + index * geometry.outHeight * geometry.outWidth, dy, geometry)
        return UnsafePointer(dy)
    }
}

extension GroupNorm {
    /// Whether the chain suits a max pool by `window`: windows that do not overlap, so that
    /// each plane's pool backward writes every element of its dout once. An order-neutral
    /// choice: the bits are the same either way.
    static func chainSuits(pooling window: PoolingWindow) -> Bool {
        window.stride >= window.poolHeight && window.stride >= window.poolWidth
    }

    /// `MaxPool.forward(ReLU(forward(x)))` in the forward's passes: the pool's output
    /// (N, C, H', W') and the layer's cache. The arguments are `forward`'s, and the pool's
    /// `window`.
    /// - Throws: as `forward`; `MaxPool`'s `TesselError`s for a window that does not fit.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func forwardPooling<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                                        window: PoolingWindow,
                                                        scheduler: Scheduler) throws -> (out: Tensor<T>, cache: Cache<T>) {
        try validateForward(x: x, gamma: gamma, beta: beta, parameters: parameters)
        let geometry = try PoolingGeometry(x: x.shape, window: window, layer: MaxPool.name)
        return try forward(x: x, gamma: gamma, beta: beta, parameters: parameters, appliesReLU: true, pooling: geometry,
                           scheduler: scheduler)
    }

    /// `backward` for a ReLU and a max pool by `window` fused after the layer: `pooledDout`
    /// (N, C, H', W') is the pool's dout, `beta` the forward's β.
    /// - Throws: `MaxPool`'s `TesselError`s for a window that does not fit the cached x or a
    ///   `pooledDout` not of the pool's output shape; `TesselError.outOfMemory`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func backward<T: TesselScalar>(pooledDout: Tensor<T>, window: PoolingWindow, beta: Tensor<T>, cache: Cache<T>,
                                                  scheduler: Scheduler) throws -> NormalizationGradients<T> {
        let geometry = try PoolingGeometry(x: cache.x.shape, dout: pooledDout, window: window, layer: MaxPool.name)
        let layout = GroupLayout(shape: cache.x.shape, groups: cache.groups)
        return try withBaseAddresses(cache.x, cache.gamma, beta, pooledDout) { x, gamma, beta, pooledDout in
            try withBaseAddresses(cache.mean, cache.inverseStd) { mean, inverseStd in
                let chain = PooledGroupChain(x: x, gamma: gamma, beta: beta, mean: mean, inverseStd: inverseStd, pooledDout: pooledDout,
                                             layout: layout, geometry: geometry)
                return try backward(cache: cache, scheduler: scheduler, planeDout: .pooled(chain))
            }
        }
    }
}
