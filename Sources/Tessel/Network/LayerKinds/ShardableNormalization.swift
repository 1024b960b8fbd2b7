/// A normalization whose train-mode statistics are those of the whole batch: the seam through
/// which a sharded step (`Network.step(images:labels:layout:exchange:…)`) runs batch norm and
/// spatial batch norm over shards of a batch held by several ranks.
///
/// Forward: each shard's per-feature partial moments (mean and M2 over its values), which the
/// step merges across shards in shard order; then the global statistics applied to every
/// shard. Backward: each shard's per-feature gradient sums, which the step adds in shard order;
/// then every shard's gradients from the global sums. Each function is the layer's own kernel
/// for that part, so one shard in all gives the bits of the layer's plain forward and backward.
package protocol ShardableNormalization: LayerKind {
    /// The mode, eps and momentum of a train-mode forward.
    var trainParameters: BatchNorm.Parameters { get }

    /// How many values of one example a feature has: 1 for (N, D), H·W for (N, C, H, W).
    func valuesPerFeature<T: TesselScalar>(of x: Tensor<T>) -> Int

    /// Checks a shard's forward arguments, then writes its per-feature mean and M2 (`gamma.count` each).
    /// - Throws: the layer's `TesselError`s for arguments that do not fit.
    func partialMoments<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, running: RunningStatistics<T>,
                                         mean: UnsafeMutablePointer<Double>, m2: UnsafeMutablePointer<Double>,
                                         scheduler: Scheduler) throws

    /// The shard's output and backward record, normalized with the global per-feature `mean`
    /// and `inverseStd` (1/√(variance + eps)); with `appliesReLU`, the output of a ReLU after
    /// the layer (`FusedChain`), and with `dropout` as well, the dropout after that ReLU written
    /// to the dropout's output (`FusedDropout`). The record does not depend on either.
    func normalize<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, mean: [Double], inverseStd: [Double],
                                    appliesReLU: Bool, dropout: FusedDropout<T>?, scheduler: Scheduler) throws -> (Tensor<T>, LayerRecord<T>)

    /// How many Doubles `gradientSums` writes for `features` features.
    func gradientSumCount(features: Int) -> Int

    /// Checks a shard's backward arguments, then writes its per-feature gradient sums. With
    /// `mask` (a ReLU fused after the layer, and maybe a dropout after it), `dout` is the last
    /// fused layer's and the sums are of the chain's backward of it.
    /// - Throws: the layer's `TesselError`s for a `dout` that does not fit.
    func gradientSums<T: TesselScalar>(_ dout: Tensor<T>, maskedBy mask: ChainMask<T>?, record: LayerRecord<T>,
                                       sums: UnsafeMutablePointer<Double>, scheduler: Scheduler) throws

    /// The shard's dx, and dgamma and dbeta of the global batch of `count` examples, from the
    /// global `sums`; with `mask`, `dout` is the last fused layer's, as for `gradientSums`.
    func gradients<T: TesselScalar>(_ dout: Tensor<T>, maskedBy mask: ChainMask<T>?, record: LayerRecord<T>, count: Int,
                                    sums: [Double], scheduler: Scheduler) throws -> NormalizationGradients<T>

    /// The forward of a batch held whole as one shard, when the layer has a resident path for
    /// x's shape (its statistics and output pass per block of features while it is in cache);
    /// nil otherwise. The same bits, running statistics and record as `partialMoments`, the
    /// one-shard merge and `normalize` (with `appliesReLU` and `dropout` as there).
    /// - Throws: the layer's `TesselError`s for arguments that do not fit.
    func residentForward<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, appliesReLU: Bool, dropout: FusedDropout<T>?,
                                          running: inout RunningStatistics<T>, scheduler: Scheduler) throws -> (Tensor<T>, LayerRecord<T>)?

    /// The backward of a batch held whole as one shard when the layer has a resident path for
    /// its shape; nil otherwise. The same bits as `gradientSums`, the one-shard sum and `gradients`.
    /// - Throws: the layer's `TesselError`s for a `dout` that does not fit.
    func residentBackward<T: TesselScalar>(_ dout: Tensor<T>, maskedBy mask: ChainMask<T>?, record: LayerRecord<T>,
                                           scheduler: Scheduler) throws -> NormalizationGradients<T>?
}

extension ShardableNormalization {
    /// The global mean and 1/√(variance + eps) per feature from `moments`, which writes the
    /// batch mean and variance; folds them into `running` with the momentum rule (the
    /// layer's own rule, `BatchNorm.featureStatistics`).
    package func globalStatistics<T: TesselScalar>(features: Int, running: inout RunningStatistics<T>,
                                                   moments: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void) -> (mean: [Double], inverseStd: [Double]) {
        var mean = [Double](repeating: 0, count: features), inverseStd = mean
        BatchNorm.featureStatistics(features: features, parameters: trainParameters, running: &running,
                                    mean: &mean, inverseStd: &inverseStd, batchMoments: moments)
        return (mean, inverseStd)
    }
}
