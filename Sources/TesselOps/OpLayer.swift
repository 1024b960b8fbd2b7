import Tessel

/// The layers `tessel op` can evaluate, with the inputs and parameters each one takes.
/// Names are the seed's function stems; input names are the seed's argument names and
/// parameter names the keys of its parameter dictionaries.
public enum OpLayer: String, CaseIterable, Sendable {
    case affine, relu, batchnorm, batchnorm_alt, layernorm, dropout, conv, maxpool
    case spatial_batchnorm, groupnorm, svm_loss, softmax_loss

    /// Inputs the forward pass needs; `backward` needs these plus `dout` (losses excepted).
    public var forwardInputs: [String] {
        switch self {
        case .affine, .conv: ["x", "w", "b"]
        case .relu, .dropout, .maxpool: ["x"]
        case .batchnorm, .batchnorm_alt, .layernorm, .spatial_batchnorm, .groupnorm: ["x", "gamma", "beta"]
        case .svm_loss, .softmax_loss: ["x", "y"]
        }
    }

    /// Inputs that may be given and otherwise take the seed's defaults.
    public var optionalInputs: [String] {
        switch self {
        case .batchnorm, .batchnorm_alt, .spatial_batchnorm: ["running_mean", "running_var"]
        default: []
        }
    }

    /// True for the two losses, whose forward already returns the gradient.
    public var isLoss: Bool { self == .svm_loss || self == .softmax_loss }

    /// Every input name the layer accepts in `direction`.
    public func inputs(for direction: OpDirection) -> (required: [String], optional: [String]) {
        let required = forwardInputs + (direction == .backward && !isLoss ? ["dout"] : [])
        return (required, optionalInputs)
    }

    /// The parameter keys the layer accepts (values are checked by the library).
    public var parameters: [String] {
        switch self {
        case .affine, .relu, .svm_loss, .softmax_loss: []
        case .batchnorm, .batchnorm_alt, .spatial_batchnorm: ["mode", "eps", "momentum"]
        case .layernorm: ["eps"]
        case .dropout: ["p", "mode", "seed"]
        case .conv: ["stride", "pad"]
        case .maxpool: ["pool_height", "pool_width", "stride"]
        case .groupnorm: ["G", "eps"]
        }
    }
}

/// `forward` or `backward`.
public enum OpDirection: String, CaseIterable, Sendable {
    case forward, backward
}
