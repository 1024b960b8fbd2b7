import Tessel

extension WeightGradients {
    /// dx, dw and db, in this order: what a benchmark's backward pass returns.
    var tensors: [Tensor<Scalar>] { [dx, dw, db] }
}

extension NormalizationGradients {
    /// dx, dγ and dβ, in this order: what a benchmark's backward pass returns.
    var tensors: [Tensor<Scalar>] { [dx, dgamma, dbeta] }
}
