/// A layer kind that runs the ReLU and the max pool after it in its own passes (`FusionPlan`):
/// group norm (`PooledGroupChain`). The forward returns the pool's output; the backward takes
/// the pool's dout; the record is the layer's own, and the bits are those of the three layers
/// run one by one. (Spatial batch norm does the same through `PoolFusingNormalization`, the
/// seam of the sharded step it runs through.)
package protocol PoolFusingKind: ReLUFusingKind {
    /// Whether the chain suits a max pool by `window` (an order-neutral choice).
    func chainSuits(pooling window: PoolingWindow) -> Bool

    /// `forwardApplyingReLU`, then max pooling by `window`: the pool's output (N, C, H', W')
    /// and the layer's record.
    /// - Throws: as `forward`; `MaxPool`'s `TesselError`s for a window that does not fit.
    func forwardPooling<T: TesselScalar>(_ x: Tensor<T>, window: PoolingWindow, parameters p: [Tensor<T>],
                                         context: inout LayerContext<T>, backend: Backend) throws -> (Tensor<T>, LayerRecord<T>)

    /// The backward of the max pool by `window` (whose dout is `pooledDout`), of the ReLU before
    /// it and of the layer: dx and the parameter gradients, as `backward`'s.
    /// - Throws: as `backward`; `MaxPool`'s `TesselError`s for a `pooledDout` that does not fit.
    func backwardThroughPool<T: TesselScalar>(_ pooledDout: Tensor<T>, window: PoolingWindow, record: LayerRecord<T>,
                                              parameters p: [Tensor<T>], backend: Backend) throws -> (Tensor<T>, [Tensor<T>])
}
