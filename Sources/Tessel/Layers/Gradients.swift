/// The gradients of a layer with weights and a bias (affine, convolution).
public struct WeightGradients<Scalar: TesselScalar>: Sendable {
    /// Gradient with respect to the input, shaped like the input.
    public var dx: Tensor<Scalar>
    /// Gradient with respect to the weights, shaped like the weights.
    public var dw: Tensor<Scalar>
    /// Gradient with respect to the bias, shaped like the bias.
    public var db: Tensor<Scalar>

    public init(dx: Tensor<Scalar>, dw: Tensor<Scalar>, db: Tensor<Scalar>) {
        self.dx = dx
        self.dw = dw
        self.db = db
    }
}

/// The parameter gradients of a layer with weights and a bias, without the input gradient:
/// what a network's first layer needs, whose input (the batch) needs no gradient.
public struct ParameterGradients<Scalar: TesselScalar>: Sendable {
    /// Gradient with respect to the weights, shaped like the weights.
    public var dw: Tensor<Scalar>
    /// Gradient with respect to the bias, shaped like the bias.
    public var db: Tensor<Scalar>

    /// The gradients `dw` (shaped like the weights) and `db` (shaped like the bias).
    public init(dw: Tensor<Scalar>, db: Tensor<Scalar>) {
        (self.dw, self.db) = (dw, db)
    }
}

/// The gradients of a normalization layer (batch, layer, spatial batch and group norm).
public struct NormalizationGradients<Scalar: TesselScalar>: Sendable {
    /// Gradient with respect to the input, shaped like the input.
    public var dx: Tensor<Scalar>
    /// Gradient with respect to the scale `gamma`, shaped like `gamma`.
    public var dgamma: Tensor<Scalar>
    /// Gradient with respect to the shift `beta`, shaped like `beta`.
    public var dbeta: Tensor<Scalar>

    public init(dx: Tensor<Scalar>, dgamma: Tensor<Scalar>, dbeta: Tensor<Scalar>) {
        self.dx = dx
        self.dgamma = dgamma
        self.dbeta = dbeta
    }
}

/// A loss value and its gradient with respect to the scores.
public struct LossOutput<Scalar: TesselScalar>: Sendable {
    /// The mean loss over the batch.
    public var loss: Scalar
    /// Gradient of `loss` with respect to the scores `x`, shaped like `x`.
    public var dx: Tensor<Scalar>

    public init(loss: Scalar, dx: Tensor<Scalar>) {
        self.loss = loss
        self.dx = dx
    }
}
