import Tessel

/// Evaluates one layer in one direction on loaded inputs, in the scalar type `T`, with the
/// tiled kernels on `scheduler` or, when `scheduler` is nil, with the serial references.
/// Returns the named outputs in the order they are written.
public struct OpRunner<T: TesselScalar> {
    public let layer: OpLayer
    public let direction: OpDirection
    public let parameters: OpParameters
    public let inputs: [String: NPYArray]
    /// The file each input was read from, by input name, for error messages.
    public let paths: [String: String]
    /// nil: run `Layer.Reference`.
    public let scheduler: Scheduler?

    /// A runner of `layer` in `direction` over `inputs` (by the seed's argument names);
    /// `paths` names each input's file in errors; a nil `scheduler` runs the serial references.
    public init(layer: OpLayer, direction: OpDirection, parameters: OpParameters, inputs: [String: NPYArray],
                paths: [String: String] = [:], scheduler: Scheduler?) {
        self.layer = layer
        self.direction = direction
        self.parameters = parameters
        self.inputs = inputs
        self.paths = paths
        self.scheduler = scheduler
    }

    /// Runs the layer and returns its named outputs in the order `tessel op` writes them.
    /// - Throws: the layer's `TesselError`s; `invalidParameter` for a missing input or parameter.
    public func run() throws -> [(name: String, tensor: Tensor<T>)] {
        switch layer {
        case .affine: return try affine()
        case .relu: return try relu()
        case .batchnorm, .batchnorm_alt: return try batchNorm()
        case .layernorm: return try layerNorm()
        case .dropout: return try dropout()
        case .conv: return try convolution()
        case .maxpool: return try maxPool()
        case .spatial_batchnorm: return try spatialBatchNorm()
        case .groupnorm: return try groupNorm()
        case .svm_loss, .softmax_loss: return try loss()
        }
    }

    // MARK: Inputs

    private func tensor(_ name: String) throws -> Tensor<T> {
        guard let array = inputs[name] else {
            throw TesselError.invalidParameter(layer: layer.rawValue, parameter: "--in \(name)", value: "(missing)", reason: "required input")
        }
        return try converted(array, name: name)
    }

    private func optionalTensor(_ name: String) throws -> Tensor<T>? {
        try inputs[name].map { try converted($0, name: name) }
    }

    /// The input as a tensor of `T`; NaN and ±∞ (also from a float64 value too large for
    /// float32) are refused, naming the file, since the layers would only pass them through.
    private func converted(_ array: NPYArray, name: String) throws -> Tensor<T> {
        let source = paths[name] ?? name
        let tensor = try array.tensor(as: T.self, source: source)
        if let problem = tensor.nonFiniteDescription() {
            throw TesselError.npy(path: source, reason: "\(problem) as \(T.dtype): input '\(name)' must be finite")
        }
        return tensor
    }

    private var dout: Tensor<T> { get throws { try tensor("dout") } }

    private func runningStatistics(features: Int) throws -> RunningStatistics<T> {
        let mean = try optionalTensor("running_mean") ?? Tensor<T>(shape: [features])
        let variance = try optionalTensor("running_var") ?? Tensor<T>(shape: [features])
        return RunningStatistics(mean: mean, variance: variance)
    }

    private func scalar(_ value: T) throws -> Tensor<T> { try Tensor(shape: [], scalars: [value]) }

    // MARK: Layers

    private func affine() throws -> [(name: String, tensor: Tensor<T>)] {
        let x = try tensor("x"), w = try tensor("w"), b = try tensor("b")
        if direction == .forward {
            let out = try scheduler.map { try Affine.forward(x: x, w: w, b: b, scheduler: $0) }
                ?? Affine.Reference.forward(x: x, w: w, b: b)
            return [("out", out)]
        }
        let dout = try self.dout
        let g = try scheduler.map { try Affine.backward(dout: dout, x: x, w: w, b: b, scheduler: $0) }
            ?? Affine.Reference.backward(dout: dout, x: x, w: w, b: b)
        return [("dx", g.dx), ("dw", g.dw), ("db", g.db)]
    }

    private func relu() throws -> [(name: String, tensor: Tensor<T>)] {
        let x = try tensor("x")
        if direction == .forward {
            return [("out", try scheduler.map { try ReLU.forward(x, scheduler: $0) } ?? ReLU.Reference.forward(x))]
        }
        let dout = try self.dout
        return [("dx", try scheduler.map { try ReLU.backward(dout: dout, x: x, scheduler: $0) } ?? ReLU.Reference.backward(dout: dout, x: x))]
    }

    private func normalizationParameters() throws -> BatchNorm.Parameters {
        try BatchNorm.Parameters(mode: parameters.mode(), eps: parameters.double("eps", default: 1e-5),
                                 momentum: parameters.double("momentum", default: 0.9))
    }

    private func batchNorm() throws -> [(name: String, tensor: Tensor<T>)] {
        let x = try tensor("x"), gamma = try tensor("gamma"), beta = try tensor("beta")
        let settings = try normalizationParameters()
        var running = try runningStatistics(features: x.shape.last ?? 0)
        let (out, cache) = try scheduler.map {
            try BatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: settings, running: &running, scheduler: $0)
        } ?? BatchNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: settings, running: &running)
        if direction == .forward {
            return [("out", out)] + (settings.mode == .train ? [("running_mean", running.mean), ("running_var", running.variance)] : [])
        }
        let dout = try self.dout
        let g: NormalizationGradients<T>
        if layer == .batchnorm_alt {
            g = try scheduler.map { try BatchNorm.backwardAlt(dout: dout, cache: cache, scheduler: $0) }
                ?? BatchNorm.Reference.backwardAlt(dout: dout, cache: cache)
        } else {
            g = try scheduler.map { try BatchNorm.backward(dout: dout, cache: cache, scheduler: $0) }
                ?? BatchNorm.Reference.backward(dout: dout, cache: cache)
        }
        return [("dx", g.dx), ("dgamma", g.dgamma), ("dbeta", g.dbeta)]
    }

    private func spatialBatchNorm() throws -> [(name: String, tensor: Tensor<T>)] {
        let x = try tensor("x"), gamma = try tensor("gamma"), beta = try tensor("beta")
        let settings = try normalizationParameters()
        var running = try runningStatistics(features: x.rank > 1 ? x.shape[1] : 0)
        let (out, cache) = try scheduler.map {
            try SpatialBatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: settings, running: &running, scheduler: $0)
        } ?? SpatialBatchNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: settings, running: &running)
        if direction == .forward {
            return [("out", out)] + (settings.mode == .train ? [("running_mean", running.mean), ("running_var", running.variance)] : [])
        }
        let dout = try self.dout
        let g = try scheduler.map { try SpatialBatchNorm.backward(dout: dout, cache: cache, scheduler: $0) }
            ?? SpatialBatchNorm.Reference.backward(dout: dout, cache: cache)
        return [("dx", g.dx), ("dgamma", g.dgamma), ("dbeta", g.dbeta)]
    }

    private func layerNorm() throws -> [(name: String, tensor: Tensor<T>)] {
        let x = try tensor("x"), gamma = try tensor("gamma"), beta = try tensor("beta")
        let settings = LayerNorm.Parameters(eps: try parameters.double("eps", default: 1e-5))
        let (out, cache) = try scheduler.map { try LayerNorm.forward(x: x, gamma: gamma, beta: beta, parameters: settings, scheduler: $0) }
            ?? LayerNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: settings)
        if direction == .forward { return [("out", out)] }
        let dout = try self.dout
        let g = try scheduler.map { try LayerNorm.backward(dout: dout, cache: cache, scheduler: $0) }
            ?? LayerNorm.Reference.backward(dout: dout, cache: cache)
        return [("dx", g.dx), ("dgamma", g.dgamma), ("dbeta", g.dbeta)]
    }

    private func groupNorm() throws -> [(name: String, tensor: Tensor<T>)] {
        let x = try tensor("x"), gamma = try tensor("gamma"), beta = try tensor("beta")
        let settings = GroupNorm.Parameters(groups: try parameters.int("G"), eps: try parameters.double("eps", default: 1e-5))
        let (out, cache) = try scheduler.map { try GroupNorm.forward(x: x, gamma: gamma, beta: beta, parameters: settings, scheduler: $0) }
            ?? GroupNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: settings)
        if direction == .forward { return [("out", out)] }
        let dout = try self.dout
        let g = try scheduler.map { try GroupNorm.backward(dout: dout, cache: cache, scheduler: $0) }
            ?? GroupNorm.Reference.backward(dout: dout, cache: cache)
        return [("dx", g.dx), ("dgamma", g.dgamma), ("dbeta", g.dbeta)]
    }

    private func dropout() throws -> [(name: String, tensor: Tensor<T>)] {
        let x = try tensor("x")
        let settings = Dropout.Parameters(p: try parameters.double("p"), mode: try parameters.mode(), seed: try parameters.optionalSeed())
        let (out, mask) = try scheduler.map { try Dropout.forward(x: x, parameters: settings, scheduler: $0) }
            ?? Dropout.Reference.forward(x: x, parameters: settings)
        if direction == .forward { return [("out", out)] + (mask.map { [("mask", $0)] } ?? []) }
        let dout = try self.dout
        let dx = try scheduler.map { try Dropout.backward(dout: dout, mask: mask, parameters: settings, scheduler: $0) }
            ?? Dropout.Reference.backward(dout: dout, mask: mask, parameters: settings)
        return [("dx", dx)]
    }

    private func convolution() throws -> [(name: String, tensor: Tensor<T>)] {
        let x = try tensor("x"), w = try tensor("w"), b = try tensor("b")
        let settings = Convolution.Parameters(stride: try parameters.int("stride"), pad: try parameters.int("pad"))
        if direction == .forward {
            let out = try scheduler.map { try Convolution.forward(x: x, w: w, b: b, parameters: settings, scheduler: $0) }
                ?? Convolution.Reference.forward(x: x, w: w, b: b, parameters: settings)
            return [("out", out)]
        }
        let dout = try self.dout
        let g = try scheduler.map { try Convolution.backward(dout: dout, x: x, w: w, b: b, parameters: settings, scheduler: $0) }
            ?? Convolution.Reference.backward(dout: dout, x: x, w: w, b: b, parameters: settings)
        return [("dx", g.dx), ("dw", g.dw), ("db", g.db)]
    }

    private func maxPool() throws -> [(name: String, tensor: Tensor<T>)] {
        let x = try tensor("x")
        let settings = MaxPool.Parameters(poolHeight: try parameters.int("pool_height"), poolWidth: try parameters.int("pool_width"),
                                          stride: try parameters.int("stride"))
        if direction == .forward {
            return [("out", try scheduler.map { try MaxPool.forward(x: x, parameters: settings, scheduler: $0) }
                        ?? MaxPool.Reference.forward(x: x, parameters: settings))]
        }
        let dout = try self.dout
        return [("dx", try scheduler.map { try MaxPool.backward(dout: dout, x: x, parameters: settings, scheduler: $0) }
                    ?? MaxPool.Reference.backward(dout: dout, x: x, parameters: settings))]
    }

    private func loss() throws -> [(name: String, tensor: Tensor<T>)] {
        let x = try tensor("x")
        guard let labelArray = inputs["y"] else {
            throw TesselError.invalidParameter(layer: layer.rawValue, parameter: "--in y", value: "(missing)", reason: "required input")
        }
        let y = try labelArray.labels(source: paths["y"] ?? "y")
        let result: LossOutput<T>
        if layer == .svm_loss {
            result = try scheduler.map { try SVMLoss.compute(x: x, y: y, scheduler: $0) } ?? SVMLoss.Reference.compute(x: x, y: y)
        } else {
            result = try scheduler.map { try SoftmaxLoss.compute(x: x, y: y, scheduler: $0) } ?? SoftmaxLoss.Reference.compute(x: x, y: y)
        }
        return [("loss", try scalar(result.loss)), ("dx", result.dx)]
    }
}
