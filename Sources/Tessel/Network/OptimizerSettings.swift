/// Which CS231n update rule (`optim.py`) an `Optimizer` applies, and its hyperparameters.
///
/// The defaults are those of `optim.py`: `sgd` and `sgd_momentum` and `rmsprop` start at a
/// learning rate of 1e-2, `adam` at 1e-3; momentum 0.9; RMSProp decay rate 0.99; Adam
/// β₁ = 0.9, β₂ = 0.999; ε = 1e-8. `learningRateDecay` is CS231n's `Solver.lr_decay`: the
/// learning rate is multiplied by it at the end of every epoch (1: no decay).
public struct OptimizerSettings: Sendable, Equatable {
    /// The update rules of CS231n's `optim.py`; the raw values are the names used there and in configs.
    public enum Rule: String, Sendable, CaseIterable, Codable {
        /// `w -= learning_rate * dw`.
        case sgd
        /// `v = momentum * v - learning_rate * dw; w += v`.
        case sgdMomentum = "sgd_momentum"
        /// `cache = decay_rate * cache + (1 - decay_rate) * dw²; w -= learning_rate * dw / (√cache + ε)`.
        case rmsprop
        /// Adam with bias correction, `t` incremented before use.
        case adam

        /// The learning rate `optim.py` uses when the config gives none.
        public var defaultLearningRate: Double { self == .adam ? 1e-3 : 1e-2 }

        /// The per-parameter state tensors this rule keeps, by their `optim.py` config names.
        public var slotNames: [String] {
            switch self {
            case .sgd: []
            case .sgdMomentum: ["velocity"]
            case .rmsprop: ["cache"]
            case .adam: ["m", "v"]
            }
        }
    }

    /// The update rule.
    public var rule: Rule
    /// The learning rate of the first epoch (> 0).
    public var learningRate: Double
    /// `sgd_momentum`'s momentum, in [0, 1).
    public var momentum: Double
    /// `rmsprop`'s decay rate of the squared-gradient average, in [0, 1).
    public var decayRate: Double
    /// `adam`'s decay rate of the first moment, in [0, 1).
    public var beta1: Double
    /// `adam`'s decay rate of the second moment, in [0, 1).
    public var beta2: Double
    /// `rmsprop`'s and `adam`'s smoothing term (> 0).
    public var epsilon: Double
    /// Factor applied to the learning rate after each epoch, in (0, 1].
    public var learningRateDecay: Double

    /// Settings for `rule`; every hyperparameter left `nil` takes its `optim.py` default.
    /// - Throws: `TesselError.invalidParameter` (layer `optimizer`, parameter the property's
    ///   name, as in a config file) for the first value out of its domain (see each property).
    public init(rule: Rule, learningRate: Double? = nil, momentum: Double? = nil, decayRate: Double? = nil,
                beta1: Double? = nil, beta2: Double? = nil, epsilon: Double? = nil,
                learningRateDecay: Double? = nil) throws {
        self.rule = rule
        self.learningRate = learningRate ?? rule.defaultLearningRate
        self.momentum = momentum ?? 0.9
        self.decayRate = decayRate ?? 0.99
        self.beta1 = beta1 ?? 0.9
        self.beta2 = beta2 ?? 0.999
        self.epsilon = epsilon ?? 1e-8
        self.learningRateDecay = learningRateDecay ?? 1
        try validate()
    }

    private func validate() throws {
        func check(_ name: String, _ value: Double, _ valid: Bool, _ reason: String) throws {
            guard valid else {
                throw TesselError.invalidParameter(component: "optimizer", parameter: name, value: "\(value)", reason: reason)
            }
        }
        let unit = "must lie in [0, 1)"
        try check("learningRate", learningRate, learningRate > 0 && learningRate.isFinite, "must be positive and finite")
        try check("momentum", momentum, (0..<1).contains(momentum), unit)
        try check("decayRate", decayRate, (0..<1).contains(decayRate), unit)
        try check("beta1", beta1, (0..<1).contains(beta1), unit)
        try check("beta2", beta2, (0..<1).contains(beta2), unit)
        try check("epsilon", epsilon, epsilon > 0 && epsilon.isFinite, "must be positive and finite")
        try check("learningRateDecay", learningRateDecay, learningRateDecay > 0 && learningRateDecay <= 1, "must lie in (0, 1]")
    }
}
