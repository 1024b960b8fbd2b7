/// Batch normalization over the rows of an (N, D) matrix (seed: `batchnorm_forward`,
/// `batchnorm_backward`, `batchnorm_backward_alt`).
///
/// - train forward: per feature j, the batch mean μⱼ and the uncorrected batch variance
///   σ²ⱼ = Σᵢ (xᵢⱼ − μⱼ)² / N; `out = γ·(x − μ)/√(σ² + eps) + β`; the running statistics
///   become `momentum·running + (1 − momentum)·(μ, σ²)`.
/// - test forward: the same map with the running mean and variance; they are not changed.
/// - backward: the gradients of the map the forward applied. After a train forward the batch
///   statistics depend on x (the full batch-norm gradient); after a test forward they are
///   constants, so `dx = dout·γ/√(running variance + eps)`. `backward` evaluates the
///   computation graph of CS231n's layers.py (through μ, σ², √, 1/√); `backwardAlt` the simplified
///   closed form `dx = γ/(N·σ̂)·(N·dout − Σdout − x̂·Σ(dout·x̂))`, σ̂ = √(σ² + eps), x̂ the
///   normalized input. Both give the same values up to rounding.
///
/// Parallel and deterministic: the reductions over N (batch moments, and the sums Σdout,
/// Σdout·(x − μ) of the backward) cut N into chunks of rows whose length depends only on the
/// shape (`ItemChunks`); a tile is one chunk × a block of features, vectorized across the
/// features; per-chunk partials (mean and M2 per feature, merged with Chan's update; plain
/// sums in the backward) are `Double` and combined in chunk order. So the results are the same
/// bits for any worker count and any `TileSettings`. Passes over memory: forward train two
/// reads of x and one write (a chunk's two-pass moments re-read it from cache); backward two
/// reads of x and dout and one write. The reduction passes walk their tiles in reverse, so
/// the output pass that follows starts on data still in the last-level cache.
///
/// `BatchNorm.Reference` is the serial oracle.
///
/// Numerics: statistics are accumulated in Double (two-pass variance); a constant feature
/// (variance 0) gives x̂ = 0, so `out = β` exactly, and eps keeps 1/√(var + eps) and the
/// gradients finite. The layer does not scan its inputs for NaN or ±∞: they propagate (NaN in,
/// NaN out); only scalar parameters are checked. eps must be positive and finite, momentum in
/// [0, 1] (NaN is neither).
public enum BatchNorm {
    /// The layer's name in errors and on the command line.
    public static let name = "batchnorm"

    /// CS231n's `bn_param`.
    public struct Parameters: Sendable, Equatable {
        /// Train (batch statistics, running-statistic update) or test (running statistics).
        public var mode: Mode
        /// Added to the variance before the square root; must be positive and finite.
        public var eps: Double
        /// Weight of the old running statistics in their update; must be in [0, 1]
        /// (0 keeps only the newest batch, 1 never changes them).
        public var momentum: Double

        /// CS231n's defaults: `eps = 1e-5`, `momentum = 0.9`.
        public init(mode: Mode, eps: Double = 1e-5, momentum: Double = 0.9) {
            self.mode = mode
            self.eps = eps
            self.momentum = momentum
        }
    }

    /// What the backward needs from a forward, and nothing more: the input, γ, and per feature
    /// the mean that centered x and 1/√(variance + eps) — batch statistics after a train
    /// forward, running statistics after a test forward — kept in `Double`. Also
    /// `SpatialBatchNorm`'s cache, whose features are the C channels of (N, C, H, W) input.
    public struct Cache<T: TesselScalar>: Sendable {
        /// The forward's input, (N, D) (or (N, C, H, W)).
        public let x: Tensor<T>
        /// The forward's scale γ, (D,) (or (C,)).
        public let gamma: Tensor<T>
        /// The mean each feature was centered with, (D,) (or (C,)).
        public let mean: Tensor<Double>
        /// `1/√(variance + eps)` per feature, (D,) (or (C,)).
        public let inverseStd: Tensor<Double>
        /// The mode of the forward: which map the backward differentiates.
        public let mode: Mode
    }

    /// Tiled forward. `x`: (N, D); `gamma`, `beta`: (D,); `running`: mean and variance of
    /// shape (D,), updated in train mode. Returns `out` (N, D) and the cache for `backward`.
    /// - Throws: `TesselError.shapeMismatch` when x is not of rank 2, when gamma, beta or the
    ///   running statistics are not (D,), or when N = 0 in train mode (no batch statistics);
    ///   `TesselError.invalidParameter` for eps ≤ 0 or not finite, momentum outside [0, 1].
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                                running: inout RunningStatistics<T>,
                                                scheduler: Scheduler = .default) throws -> (out: Tensor<T>, cache: Cache<T>) {
        try normalizingForward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running, scheduler: scheduler)
    }

    /// Tiled backward through the computation graph. `dout`: (N, D) like the cached x.
    /// Returns dx (N, D), dgamma and dbeta (D,).
    /// - Throws: `TesselError.shapeMismatch` when dout's shape is not x's.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TesselScalar>(dout: Tensor<T>, cache: Cache<T>,
                                                 scheduler: Scheduler = .default) throws -> NormalizationGradients<T> {
        try gradients(dout: dout, cache: cache, formula: .graph, scheduler: scheduler)
    }

    /// Tiled backward with the simplified closed form (CS231n's `batchnorm_backward_alt`):
    /// same inputs, outputs and errors as `backward`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backwardAlt<T: TesselScalar>(dout: Tensor<T>, cache: Cache<T>,
                                                    scheduler: Scheduler = .default) throws -> NormalizationGradients<T> {
        try gradients(dout: dout, cache: cache, formula: .simplified, scheduler: scheduler)
    }

    // MARK: - Validation (shared with the reference)

    /// The output shape for an input of shape `x` (`x` itself), once `eps`, `momentum` and the
    /// rank of `x` are checked as `forward` checks them.
    /// - Throws: as `forward`, for these checks.
    public static func outputShape(x: [Int], parameters: Parameters) throws -> [Int] {
        try NormalizationChecks.eps(parameters.eps, layer: name)
        try NormalizationChecks.momentum(parameters.momentum, layer: name)
        try NormalizationChecks.rank(x, 2, layout: "(N, D)", layer: name, argument: "x")
        return x
    }

    package static func validateForward<T>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                           running: RunningStatistics<T>) throws {
        _ = try outputShape(x: x.shape, parameters: parameters)
        let features = [x.shape[1]], meaning = "(D,) for x of shape \(Shape.describe(x.shape))"
        try NormalizationChecks.shape(gamma, features, meaning: meaning, layer: name, argument: "gamma")
        try NormalizationChecks.shape(beta, features, meaning: meaning, layer: name, argument: "beta")
        try NormalizationChecks.shape(running.mean, features, meaning: meaning, layer: name, argument: "running_mean")
        try NormalizationChecks.shape(running.variance, features, meaning: meaning, layer: name, argument: "running_var")
        if parameters.mode == .train && x.shape[0] == 0 {
            throw TesselError.shapeMismatch(component: name, argument: "x",
                                            expected: "N ≥ 1 rows in train mode (an empty batch has no mean or variance)",
                                            actual: x.shape)
        }
    }
}

extension BatchNorm: BatchNormalizationLayer {
    package static func valuesPerFeature(shape: [Int]) -> Int { 1 }

    /// None: a feature's values are one per row, N rows apart (nil).
    package static func residentForward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                                         appliesReLU: Bool, dropout: FusedDropout<T>?,
                                                         running: inout RunningStatistics<T>,
                                                         scheduler: Scheduler) throws -> (out: Tensor<T>, cache: Cache<T>)? { nil }

    /// None (nil), as `residentForward`.
    package static func residentBackward<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: Cache<T>,
                                                          scheduler: Scheduler) throws -> NormalizationGradients<T>? { nil }

    /// `Σdout`, `Σdout·(x − μ)` and `Σ(x − μ)` per feature.
    package static func gradientSumCount(features: Int) -> Int { 3 * features }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func moments<T: TesselScalar>(_ x: Tensor<T>, mean: UnsafeMutablePointer<Double>, m2: UnsafeMutablePointer<Double>,
                                                 scheduler: Scheduler) {
        x.withUnsafeBufferPointer { xs in
            columnMoments(xs.baseAddress!, rows: x.shape[0], columns: x.shape[1], mean: mean, m2: m2, scheduler: scheduler)
        }
    }

    /// The graph formula's sums, as `backward`'s.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func gradientSums<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: Cache<T>,
                                                      sums: UnsafeMutablePointer<Double>, scheduler: Scheduler) throws {
        try gradientSums(dout: dout, maskedBy: mask, cache: cache, formula: .graph, sums: sums, scheduler: scheduler)
    }

    /// The graph formula's gradients, as `backward`'s.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func gradients<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: Cache<T>, count: Int,
                                                   sums: UnsafePointer<Double>, scheduler: Scheduler) throws -> NormalizationGradients<T> {
        try gradients(dout: dout, maskedBy: mask, cache: cache, formula: .graph, count: count, sums: sums, scheduler: scheduler)
    }
}
