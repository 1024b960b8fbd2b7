/// The running mean and variance a batch-norm layer (`BatchNorm`, `SpatialBatchNorm`) keeps
/// for test time, one entry per feature (D for batch norm, C for spatial batch norm).
///
/// A train-mode forward updates both in place, with `momentum` from the layer's parameters:
/// `running = momentum·running + (1 − momentum)·batch statistic` (the batch variance is the
/// uncorrected one, divided by the number of values); a test-mode forward reads them.
public struct RunningStatistics<T: TesselScalar>: Sendable {
    /// Running mean per feature, shape (features,).
    public var mean: Tensor<T>
    /// Running (uncorrected) variance per feature, shape (features,).
    public var variance: Tensor<T>

    /// Zeros for both, as CS231n's defaults (`np.zeros(D)`).
    /// - Throws: `TesselError.invalidShape` when `features` is negative;
    ///   `TesselError.outOfMemory` when the storage cannot be allocated.
    public init(features: Int) throws {
        mean = try Tensor(shape: [features])
        variance = try Tensor(shape: [features])
    }

    /// Given statistics. Their shapes are checked by the layer that uses them: both must be
    /// (features,) for the input the layer is called with.
    public init(mean: Tensor<T>, variance: Tensor<T>) {
        self.mean = mean
        self.variance = variance
    }
}
