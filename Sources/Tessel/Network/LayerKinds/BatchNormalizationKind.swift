/// A batch normalization kind (`batchnorm`, `spatial_batchnorm`): `eps` and `momentum` in the
/// config, running statistics, and the statistics of the whole batch when sharded. The glue is
/// the same for both: a kind names its `Layer`, and what else differs (example rank, extra
/// `tessel op` operations).
package protocol BatchNormalizationKind: NormalizationKind, ShardableNormalization {
    /// The layer the kind runs.
    associatedtype Layer: BatchNormalizationLayer

    /// Added to the variance before the square root (> 0).
    var epsilon: Double { get }
    /// The weight of the old running statistics (in [0, 1]).
    var momentum: Double { get }

    init(epsilon: Double, momentum: Double)

    /// The backward of the `tessel op` operation named `operation`: the layer's own, unless
    /// the kind offers another form under that name.
    static func operationBackward<T: TesselScalar>(_ dout: Tensor<T>, cache: BatchNorm.Cache<T>, operation: String,
                                                   backend: Backend) throws -> NormalizationGradients<T>
}

extension BatchNormalizationKind {
    package static var typeName: String { Layer.name }
    package static var configKeys: [LayerConfigKey] { ["eps", "momentum"].map { LayerConfigKey($0) } }

    /// `tessel op <name>` (`mode`, `eps`, `momentum`; optional inputs `running_mean`,
    /// `running_var`): out and, in train mode, the running statistics; or dx, dgamma, dbeta.
    package static var operations: [LayerOperation] { [operation(named: Layer.name)] }

    /// The `tessel op` operation `name`, evaluated by `operationBackward` for its backward.
    static func operation(named name: String) -> LayerOperation {
        LayerOperation(name: name, forwardInputs: ["x", "gamma", "beta"], optionalInputs: ["running_mean", "running_var"],
                       parameters: ["mode", "eps", "momentum"], evaluator: BatchNormalizationOperation<Self>(name: name))
    }

    /// `eps` (1e-5) and `momentum` (0.9).
    package init(config: KeyedDecodingContainer<LayerConfigKey>) throws {
        self.init(epsilon: try config.epsilon(), momentum: try config.momentum())
    }

    package func encode(config: inout KeyedEncodingContainer<LayerConfigKey>) throws {
        for (key, value) in zip(Self.configKeys, [epsilon, momentum]) { try config.encode(value, forKey: key) }
    }

    package var keepsRunningStatistics: Bool { true }

    /// The layer's parameters in `mode`.
    func layerParameters(_ mode: Mode) -> BatchNorm.Parameters { BatchNorm.Parameters(mode: mode, eps: epsilon, momentum: momentum) }

    package var trainParameters: BatchNorm.Parameters { layerParameters(.train) }

    package func outputShape(input: [Int]) throws -> [Int] {
        Array(try Layer.outputShape(x: [1] + input, parameters: layerParameters(.train)).dropFirst())
    }

    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        let (out, cache) = try Self.forward(x, gamma: p[0], beta: p[1], layerParameters(context.mode), running: &context.statistics!, backend: backend)
        return (out, .state(cache))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        let g = try Self.backward(dout, cache: record.state(as: BatchNorm.Cache<T>.self), backend: backend)
        return (g.dx, [g.dgamma, g.dbeta])
    }

    // The Float specializations are exported: TesselBenchmarking calls these across the module.
    @_specialize(exported: true, where Self == BatchNormKind, T == Float)
    @_specialize(exported: true, where Self == SpatialBatchNormKind, T == Float)
    package static func forward<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, _ parameters: BatchNorm.Parameters,
                                                 running: inout RunningStatistics<T>,
                                                 backend: Backend) throws -> (Tensor<T>, BatchNorm.Cache<T>) {
        switch backend {
        case let .tiled(s): try Layer.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running, scheduler: s)
        case .reference: try Layer.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running)
        }
    }

    @_specialize(exported: true, where Self == BatchNormKind, T == Float)
    @_specialize(exported: true, where Self == SpatialBatchNormKind, T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, cache: BatchNorm.Cache<T>,
                                                  backend: Backend) throws -> NormalizationGradients<T> {
        switch backend {
        case let .tiled(s): try Layer.backward(dout: dout, cache: cache, scheduler: s)
        case .reference: try Layer.Reference.backward(dout: dout, cache: cache)
        }
    }

    package static func operationBackward<T: TesselScalar>(_ dout: Tensor<T>, cache: BatchNorm.Cache<T>, operation: String,
                                                           backend: Backend) throws -> NormalizationGradients<T> {
        try backward(dout, cache: cache, backend: backend)
    }

    // MARK: ShardableNormalization

    package func valuesPerFeature<T: TesselScalar>(of x: Tensor<T>) -> Int { Layer.valuesPerFeature(shape: x.shape) }

    package func partialMoments<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, running: RunningStatistics<T>,
                                                 mean: UnsafeMutablePointer<Double>, m2: UnsafeMutablePointer<Double>,
                                                 scheduler: Scheduler) throws {
        try Layer.validateForward(x: x, gamma: gamma, beta: beta, parameters: trainParameters, running: running)
        Layer.moments(x, mean: mean, m2: m2, scheduler: scheduler)
    }

    package func normalize<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, mean: [Double], inverseStd: [Double],
                                            appliesReLU: Bool, dropout: FusedDropout<T>?,
                                            scheduler: Scheduler) throws -> (Tensor<T>, LayerRecord<T>) {
        let out = try Layer.normalize(x, mean: mean, inverseStd: inverseStd, gamma: gamma, beta: beta, appliesReLU: appliesReLU,
                                      dropout: dropout, scheduler: scheduler)
        return (out, .state(try BatchNorm.Cache(x: x, gamma: gamma, mean: mean, inverseStd: inverseStd, mode: .train)))
    }

    package func gradientSumCount(features: Int) -> Int { Layer.gradientSumCount(features: features) }

    package func gradientSums<T: TesselScalar>(_ dout: Tensor<T>, maskedBy mask: ChainMask<T>?, record: LayerRecord<T>,
                                               sums: UnsafeMutablePointer<Double>, scheduler: Scheduler) throws {
        let cache = record.state(as: BatchNorm.Cache<T>.self)
        try Layer.validateBackward(dout: dout, cache: cache)
        try Layer.gradientSums(dout: dout, maskedBy: mask, cache: cache, sums: sums, scheduler: scheduler)
    }

    package func gradients<T: TesselScalar>(_ dout: Tensor<T>, maskedBy mask: ChainMask<T>?, record: LayerRecord<T>, count: Int,
                                            sums: [Double], scheduler: Scheduler) throws -> NormalizationGradients<T> {
        try Layer.gradients(dout: dout, maskedBy: mask, cache: record.state(as: BatchNorm.Cache<T>.self), count: count,
                            sums: sums, scheduler: scheduler)
    }

    package func residentForward<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, appliesReLU: Bool,
                                                  dropout: FusedDropout<T>?,
                                                  running: inout RunningStatistics<T>,
                                                  scheduler: Scheduler) throws -> (Tensor<T>, LayerRecord<T>)? {
        try Layer.validateForward(x: x, gamma: gamma, beta: beta, parameters: trainParameters, running: running)
        guard let (out, cache) = try Layer.residentForward(x: x, gamma: gamma, beta: beta, parameters: trainParameters,
                                                           appliesReLU: appliesReLU, dropout: dropout, running: &running,
                                                           scheduler: scheduler)
        else { return nil }
        return (out, .state(cache))
    }

    package func residentBackward<T: TesselScalar>(_ dout: Tensor<T>, maskedBy mask: ChainMask<T>?, record: LayerRecord<T>,
                                                   scheduler: Scheduler) throws -> NormalizationGradients<T>? {
        let cache = record.state(as: BatchNorm.Cache<T>.self)
        try Layer.validateBackward(dout: dout, cache: cache)
        return try Layer.residentBackward(dout: dout, maskedBy: mask, cache: cache, scheduler: scheduler)
    }
}

/// A batch normalization kind's `tessel op` operation `name`: out and, in train mode, the
/// running statistics; or dx, dgamma, dbeta by the kind's `operationBackward`.
struct BatchNormalizationOperation<Kind: BatchNormalizationKind>: OperationEvaluator {
    let name: String

    func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
        let x = try call.tensor("x"), gamma = try call.tensor("gamma"), beta = try call.tensor("beta")
        // `mode`, `eps` (default 1e-5) and `momentum` (default 0.9); running statistics zeros when absent.
        let parameters = try BatchNorm.Parameters(mode: call.arguments.mode("mode"), eps: call.arguments.double("eps", default: 1e-5),
                                                  momentum: call.arguments.double("momentum", default: 0.9))
        let features = x.rank > 1 ? x.shape[1] : 0
        var running = RunningStatistics(mean: try call.optionalTensor("running_mean") ?? Tensor<T>(shape: [features]),
                                        variance: try call.optionalTensor("running_var") ?? Tensor<T>(shape: [features]))
        let (out, cache) = try Kind.forward(x, gamma: gamma, beta: beta, parameters, running: &running, backend: call.backend)
        guard call.isBackward else {
            return [("out", out)] + (parameters.mode == .train ? [("running_mean", running.mean), ("running_var", running.variance)] : [])
        }
        let g = try Kind.operationBackward(try call.dout(), cache: cache, operation: name, backend: call.backend)
        return [("dx", g.dx), ("dgamma", g.dgamma), ("dbeta", g.dbeta)]
    }
}
