/// A normalization that runs the ReLU and the max pool after it in its own passes
/// (`FusionPlan`): spatial batch norm (`PooledChain`). The forward returns the pool's output;
/// the backward takes the pool's dout. Apart from what flows in and out, these are
/// `ShardableNormalization`'s `normalize`, `gradientSums` and `gradients`, with the same records
/// and the bits of the three layers run one by one.
package protocol PoolFusingNormalization: ShardableNormalization {
    /// `normalize` with `appliesReLU`, then max pooling by `window`: the pool's output
    /// (N, C, H', W') and the normalization's record.
    /// - Throws: the layers' `TesselError`s for arguments that do not fit.
    func normalizePooling<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, mean: [Double], inverseStd: [Double],
                                           window: PoolingWindow, scheduler: Scheduler) throws -> (Tensor<T>, LayerRecord<T>)

    /// `gradientSums` where `pooledDout` is the dout of the max pool by `window` after the
    /// ReLU after this layer, and `beta` the forward's β.
    /// - Throws: the layers' `TesselError`s for a `pooledDout` that does not fit.
    func gradientSums<T: TesselScalar>(pooledDout: Tensor<T>, window: PoolingWindow, beta: Tensor<T>, record: LayerRecord<T>,
                                       sums: UnsafeMutablePointer<Double>, scheduler: Scheduler) throws

    /// `gradients` where `pooledDout`, `window` and `beta` are as for `gradientSums(pooledDout:…)`.
    /// - Throws: as `gradientSums(pooledDout:…)`.
    func gradients<T: TesselScalar>(pooledDout: Tensor<T>, window: PoolingWindow, beta: Tensor<T>, record: LayerRecord<T>, count: Int,
                                    sums: [Double], scheduler: Scheduler) throws -> NormalizationGradients<T>
}
