/// The batch-normalization family: `BatchNorm` over (N, D) and `SpatialBatchNorm` over
/// (N, C, H, W). Both have batch norm's parameters, rules and `BatchNorm.Cache`; they differ
/// in where a feature's values lie, so in their moment, normalization and gradient passes.
/// The network glue (`BatchNormalizationKind`) and the sharded step reach both through it.
package protocol BatchNormalizationLayer {
    /// The layer's serial oracle.
    associatedtype Reference: BatchNormalizationReference

    /// The layer's name in errors and on the command line.
    static var name: String { get }

    /// How many values of one example a feature has in an input of `shape`: 1 for (N, D),
    /// H·W for (N, C, H, W).
    static func valuesPerFeature(shape: [Int]) -> Int

    /// How many Doubles `gradientSums` writes for `features` features.
    static func gradientSumCount(features: Int) -> Int

    /// The output shape for an input of shape `x`, once the parameters and the rank are checked.
    static func outputShape(x: [Int], parameters: BatchNorm.Parameters) throws -> [Int]

    /// The tiled forward: `out` of x's shape and the cache for `backward`.
    static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: BatchNorm.Parameters,
                                         running: inout RunningStatistics<T>,
                                         scheduler: Scheduler) throws -> (out: Tensor<T>, cache: BatchNorm.Cache<T>)

    /// The tiled backward: dx, dgamma and dbeta.
    static func backward<T: TesselScalar>(dout: Tensor<T>, cache: BatchNorm.Cache<T>,
                                          scheduler: Scheduler) throws -> NormalizationGradients<T>

    /// Checks a forward's arguments as `forward` does.
    static func validateForward<T>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: BatchNorm.Parameters,
                                   running: RunningStatistics<T>) throws

    /// Mean and centered sum of squares M2 per feature of a checked `x`, chunk partials merged
    /// in chunk order; the moments of several parts of a batch merge to the whole batch's.
    static func moments<T: TesselScalar>(_ x: Tensor<T>, mean: UnsafeMutablePointer<Double>, m2: UnsafeMutablePointer<Double>,
                                         scheduler: Scheduler)

    /// `out = β + (x − μ)·(γ/σ̂)` per feature, with `inverseStd` = 1/σ̂; with `appliesReLU`,
    /// `max(0, out)` as the ReLU layer computes it (a fused ReLU, see `FusedChain`); with
    /// `dropout` as well, the dropout after that ReLU written to the dropout's output (`FusedDropout`).
    static func normalize<T: TesselScalar>(_ x: Tensor<T>, mean: UnsafePointer<Double>, inverseStd: UnsafePointer<Double>,
                                           gamma: Tensor<T>, beta: Tensor<T>, appliesReLU: Bool, dropout: FusedDropout<T>?,
                                           scheduler: Scheduler) throws -> Tensor<T>

    /// The per-feature sums of `backward` over `cache.x`, into `sums` (`gradientSumCount` values);
    /// sums over several parts of a batch add up to the whole batch's. With `mask` (a ReLU
    /// fused after the layer, and maybe a dropout after it, `ChainMask`), the sums are those of
    /// the chain's backward of `dout`, masked span by span in the pass (`FusedChain.span`).
    /// - Throws: `TesselError.outOfMemory` when the masking scratch cannot be allocated.
    static func gradientSums<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: BatchNorm.Cache<T>,
                                              sums: UnsafeMutablePointer<Double>, scheduler: Scheduler) throws

    /// dx, dgamma and dbeta from the `sums` of `gradientSums` over a batch of `count` examples
    /// (more than `cache.x`'s N when the batch was sharded); with `mask`, of the chain's
    /// backward of `dout`, as `gradientSums` took it.
    static func gradients<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: BatchNorm.Cache<T>, count: Int,
                                           sums: UnsafePointer<Double>, scheduler: Scheduler) throws -> NormalizationGradients<T>

    /// The train-mode forward on checked arguments with each block of features resident (its
    /// statistics pass and output pass back to back, while in cache), when the layer has such
    /// a path for x's shape and `scheduler`; nil otherwise. With `appliesReLU`, the output of a
    /// ReLU after the layer, and with `dropout`, the dropout after it, as `normalize`. The same
    /// bits as `moments`, the statistics and `normalize`.
    static func residentForward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: BatchNorm.Parameters,
                                                 appliesReLU: Bool, dropout: FusedDropout<T>?, running: inout RunningStatistics<T>,
                                                 scheduler: Scheduler) throws -> (out: Tensor<T>, cache: BatchNorm.Cache<T>)?

    /// The backward on a checked dout with each block of features resident, when the layer has
    /// such a path; nil otherwise. With `mask` (a ReLU fused after the layer, and
    /// maybe a dropout after it), dout is the chain's last layer's and the layer takes the
    /// chain's backward of it.
    /// The same bits as `gradientSums` followed by `gradients` over the whole batch.
    static func residentBackward<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: BatchNorm.Cache<T>,
                                                  scheduler: Scheduler) throws -> NormalizationGradients<T>?
}

/// The serial oracle of a `BatchNormalizationLayer`: the same contract as its tiled forward
/// and backward.
package protocol BatchNormalizationReference {
    static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: BatchNorm.Parameters,
                                         running: inout RunningStatistics<T>) throws -> (out: Tensor<T>, cache: BatchNorm.Cache<T>)

    static func backward<T: TesselScalar>(dout: Tensor<T>, cache: BatchNorm.Cache<T>) throws -> NormalizationGradients<T>
}

extension BatchNormalizationLayer {
    /// The tiled forward of the family: the per-feature statistics (batch moments by `moments`
    /// in train mode, folded into `running`; the running statistics in test mode), then
    /// `normalize`, in one scratch buffer.
    static func normalizingForward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: BatchNorm.Parameters,
                                                    running: inout RunningStatistics<T>,
                                                    scheduler: Scheduler) throws -> (out: Tensor<T>, cache: BatchNorm.Cache<T>) {
        try validateForward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: running)
        let features = x.shape[1], values = Double(x.shape[0] * valuesPerFeature(shape: x.shape))
        return try scheduler.withScratch(Double.self, count: 2 * features) { scratch in
            let mean = scratch.baseAddress!, inverseStd = mean + features
            BatchNorm.featureStatistics(features: features, parameters: parameters, running: &running,
                                        mean: mean, inverseStd: inverseStd) { mean, variance in
                moments(x, mean: mean, m2: variance, scheduler: scheduler)
                for j in 0..<features { variance[j] /= values }
            }
            let out = try normalize(x, mean: mean, inverseStd: inverseStd, gamma: gamma, beta: beta, appliesReLU: false,
                                    dropout: nil, scheduler: scheduler)
            return (out, try BatchNorm.Cache(x: x, gamma: gamma, mean: mean, inverseStd: inverseStd, mode: parameters.mode))
        }
    }

    static func validateBackward<T>(dout: Tensor<T>, cache: BatchNorm.Cache<T>) throws {
        try NormalizationChecks.dout(dout, x: cache.x, layer: name)
    }
}

extension BatchNorm.Cache {
    /// A cache whose statistics are copied from `mean` and `inverseStd`, `gamma.count` values each.
    init(x: Tensor<T>, gamma: Tensor<T>, mean: UnsafePointer<Double>, inverseStd: UnsafePointer<Double>, mode: Mode) throws {
        let features = gamma.count
        self.init(x: x, gamma: gamma, mean: try Tensor(shape: [features], scalars: UnsafeBufferPointer(start: mean, count: features)),
                  inverseStd: try Tensor(shape: [features], scalars: UnsafeBufferPointer(start: inverseStd, count: features)),
                  mode: mode)
    }
}
