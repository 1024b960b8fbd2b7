import RealModule

/// What an update rule remembers about one parameter between steps: CS231n's per-parameter
/// `config` dictionary, less the hyperparameters.
public struct ParameterState<T: TesselScalar>: Sendable {
    /// Updates applied so far; Adam's `t`.
    public var step: Int
    /// The rule's state tensors by their `optim.py` names (`velocity`, `cache`, `m`, `v`; see
    /// `OptimizerSettings.Rule.slotNames`), each shaped like the parameter.
    public var slots: [String: Tensor<T>]

    /// State after `step` updates holding `slots`.
    public init(step: Int = 0, slots: [String: Tensor<T>] = [:]) {
        self.step = step
        self.slots = slots
    }
}

/// Applies one of CS231n's update rules to named parameters, keeping each parameter's state.
///
/// `update` is `optim.py`'s `sgd`/`sgd_momentum`/`rmsprop`/`adam` for one parameter, with the
/// state created as zeros on the first update of that name (as `config.setdefault` does).
/// `endEpoch` applies the learning-rate decay, as CS231n's `Solver` does after each epoch.
/// The update is element-wise and tiled over `scheduler`, so the result does not depend on
/// the number of workers or the tile sizes.
public struct Optimizer<T: TesselScalar>: Sendable {
    /// The rule and its hyperparameters.
    public let settings: OptimizerSettings
    /// The learning rate used by the next update (`settings.learningRate` decayed once per finished epoch).
    public private(set) var learningRate: Double
    /// The state of every parameter updated so far, by parameter name.
    public private(set) var states: [String: ParameterState<T>]

    /// An optimizer with no state yet, at the settings' initial learning rate.
    public init(settings: OptimizerSettings) {
        self.settings = settings
        self.learningRate = settings.learningRate
        self.states = [:]
    }

    /// An optimizer that continues from saved state (a checkpoint).
    /// - Throws: `TesselError.invalidParameter` (layer `optimizer`) when `learningRate` is not
    ///   positive and finite, a step count is negative, or a state lacks one of the rule's slots
    ///   or holds another.
    public init(settings: OptimizerSettings, learningRate: Double, states: [String: ParameterState<T>]) throws {
        guard learningRate > 0, learningRate.isFinite else {
            throw TesselError.invalidParameter(component: "optimizer", parameter: "learningRate", value: "\(learningRate)", reason: "must be positive and finite")
        }
        for (name, state) in states {
            guard state.step >= 0 else {
                throw TesselError.invalidParameter(component: "optimizer", parameter: "\(name).t", value: "\(state.step)", reason: "must not be negative")
            }
            guard Set(state.slots.keys) == Set(settings.rule.slotNames) else {
                throw TesselError.invalidParameter(component: "optimizer", parameter: "\(name) state", value: state.slots.keys.sorted().joined(separator: ", "),
                    reason: "\(settings.rule.rawValue) keeps [\(settings.rule.slotNames.joined(separator: ", "))]")
            }
        }
        self.settings = settings
        self.learningRate = learningRate
        self.states = states
    }

    /// Updates parameter `w` (named `name`) in place from its gradient `dw`.
    /// - Throws: `TesselError.shapeMismatch` (layer `optimizer`) when `dw`, or a state slot
    ///   restored for `name`, is not shaped like `w`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public mutating func update(_ w: inout Tensor<T>, gradient dw: Tensor<T>, name: String,
                                scheduler: Scheduler = .default) throws {
        guard dw.shape == w.shape else {
            throw TesselError.shapeMismatch(component: "optimizer", argument: "d\(name)", expected: "the shape of \(name) \(Shape.describe(w.shape))", actual: dw.shape)
        }
        var state = states.removeValue(forKey: name) ?? ParameterState()
        defer { states[name] = state }
        var slots: [Tensor<T>] = []
        for slot in settings.rule.slotNames {
            let tensor = try state.slots.removeValue(forKey: slot) ?? Tensor<T>(shape: w.shape)
            guard tensor.shape == w.shape else {
                state.slots[slot] = tensor
                throw TesselError.shapeMismatch(component: "optimizer", argument: "\(name).\(slot)", expected: "the shape of \(name) \(Shape.describe(w.shape))", actual: tensor.shape)
            }
            slots.append(tensor)
        }
        state.step += 1
        apply(to: &w, dw, &slots, step: state.step, scheduler: scheduler)
        for (slot, tensor) in zip(settings.rule.slotNames, slots) { state.slots[slot] = tensor }
    }

    /// Ends an epoch: multiplies the learning rate by `settings.learningRateDecay`.
    public mutating func endEpoch() {
        learningRate *= settings.learningRateDecay
    }

    private func apply(to w: inout Tensor<T>, _ dw: Tensor<T>, _ slots: inout [Tensor<T>], step: Int, scheduler: Scheduler) {
        let s = settings, lr = T(learningRate), count = w.count
        let tiling = Tiling.split(count, targetItemsPerTile: scheduler.tiles.elementsPerTile)
        let work = tiling.tileRows * 4
        dw.withUnsafeBufferPointer { dws in
            w.withUnsafeMutableBufferPointer { ws in
                let w = ws.baseAddress!, dw = dws.baseAddress!
                switch s.rule {
                case .sgd:
                    scheduler.forEachTile(tiling, workPerTile: work) { tile in
                        let o = tile.rows.lowerBound
                        UpdateKernels.sgd(w: w + o, dw: dw + o, count: tile.rows.count, learningRate: lr)
                    }
                case .sgdMomentum:
                    slots[0].withUnsafeMutableBufferPointer { vs in
                        let velocity = vs.baseAddress!, momentum = T(s.momentum)
                        scheduler.forEachTile(tiling, workPerTile: work) { tile in
                            let o = tile.rows.lowerBound
                            UpdateKernels.sgdMomentum(w: w + o, dw: dw + o, velocity: velocity + o, count: tile.rows.count,
                                                      learningRate: lr, momentum: momentum)
                        }
                    }
                case .rmsprop:
                    slots[0].withUnsafeMutableBufferPointer { cs in
                        let cache = cs.baseAddress!, decayRate = T(s.decayRate), epsilon = T(s.epsilon)
                        scheduler.forEachTile(tiling, workPerTile: work) { tile in
                            let o = tile.rows.lowerBound
                            UpdateKernels.rmsprop(w: w + o, dw: dw + o, cache: cache + o, count: tile.rows.count,
                                                  learningRate: lr, decayRate: decayRate, epsilon: epsilon)
                        }
                    }
                case .adam:
                    let correction1 = T(1 - Double.pow(s.beta1, step)), correction2 = T(1 - Double.pow(s.beta2, step))
                    let beta1 = T(s.beta1), beta2 = T(s.beta2), epsilon = T(s.epsilon)
                    // Two slots are written at once: move them out of the array so that each is
                    // uniquely referenced (no copy on write) and accessed exclusively.
                    var first = slots[0], second = slots[1]
                    slots.removeAll()
                    defer { slots = [first, second] }
                    first.withUnsafeMutableBufferPointer { ms in
                        second.withUnsafeMutableBufferPointer { vs in
                            let m = ms.baseAddress!, v = vs.baseAddress!
                            scheduler.forEachTile(tiling, workPerTile: work) { tile in
                                let o = tile.rows.lowerBound
                                UpdateKernels.adam(w: w + o, dw: dw + o, m: m + o, v: v + o, count: tile.rows.count,
                                                   learningRate: lr, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                                   correction1: correction1, correction2: correction2)
                            }
                        }
                    }
                }
            }
        }
    }
}
