/// `batchnorm`: batch normalization over (N, D) input; `momentum` weighs the old running statistics.
package struct BatchNormKind: BatchNormalizationKind {
    package var epsilon: Double
    package var momentum: Double

    package static let typeName = BatchNorm.name
    package static let exampleRank: Int? = 1
    package static var operations: [LayerOperation] {
        [BatchNorm.name, BatchNorm.name + "_alt"].map {
            LayerOperation(name: $0, forwardInputs: ["x", "gamma", "beta"], optionalInputs: ["running_mean", "running_var"],
                           parameters: ["mode", "eps", "momentum"], evaluator: Operation(alternative: $0 != BatchNorm.name))
        }
    }

    package init(epsilon: Double, momentum: Double) {
        (self.epsilon, self.momentum) = (epsilon, momentum)
    }

    package func outputShape(input: [Int]) throws -> [Int] {
        Array(try BatchNorm.outputShape(x: [1] + input, parameters: layerParameters(.train)).dropFirst())
    }

    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        let (out, cache) = try Self.forward(x, gamma: p[0], beta: p[1], layerParameters(context.mode), running: &context.statistics!, backend: backend)
        return (out, .state(cache))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        let g = try Self.backward(dout, cache: record.state(as: BatchNorm.Cache<T>.self), alternative: false, backend: backend)
        return (g.dx, [g.dgamma, g.dbeta])
    }

    @_specialize(exported: true, where T == Float)
    package static func forward<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, _ parameters: BatchNorm.Parameters,
                                         running: inout RunningStatistics<T>, backend: Backend) throws -> (Tensor<T>, BatchNorm.Cache<T>) {
        switch backend {
        case let .tiled(s): try BatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running, scheduler: s)
        case .reference: try BatchNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running)
        }
    }

    /// The graph backward, or with `alternative` the simplified one (`backwardAlt`).
    @_specialize(exported: true, where T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, cache: BatchNorm.Cache<T>, alternative: Bool,
                                          backend: Backend) throws -> NormalizationGradients<T> {
        switch (backend, alternative) {
        case let (.tiled(s), false): try BatchNorm.backward(dout: dout, cache: cache, scheduler: s)
        case (.reference, false): try BatchNorm.Reference.backward(dout: dout, cache: cache)
        case let (.tiled(s), true): try BatchNorm.backwardAlt(dout: dout, cache: cache, scheduler: s)
        case (.reference, true): try BatchNorm.Reference.backwardAlt(dout: dout, cache: cache)
        }
    }

    // MARK: ShardableNormalization

    package func valuesPerFeature<T: TesselScalar>(of x: Tensor<T>) -> Int { 1 }

    package func partialMoments<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, running: RunningStatistics<T>,
                                                 mean: UnsafeMutablePointer<Double>, m2: UnsafeMutablePointer<Double>,
                                                 scheduler: Scheduler) throws {
        try BatchNorm.validateForward(x: x, gamma: gamma, beta: beta, parameters: trainParameters, running: running)
        x.withUnsafeBufferPointer { xs in
            BatchNorm.columnMoments(xs.baseAddress!, rows: x.shape[0], columns: gamma.count, mean: mean, m2: m2, scheduler: scheduler)
        }
    }

    package func normalize<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, mean: [Double], inverseStd: [Double],
                                            scheduler: Scheduler) throws -> (Tensor<T>, LayerRecord<T>) {
        let out = try BatchNorm.normalize(x, mean: mean, inverseStd: inverseStd, gamma: gamma, beta: beta, scheduler: scheduler)
        let cache = BatchNorm.Cache(x: x, gamma: gamma, mean: try Tensor<Double>(shape: [mean.count], scalars: mean),
                                    inverseStd: try Tensor<Double>(shape: [inverseStd.count], scalars: inverseStd), mode: .train)
        return (out, .state(cache))
    }

    package func gradientSumCount(features: Int) -> Int { 3 * features }

    package func gradientSums<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, sums: UnsafeMutablePointer<Double>,
                                               scheduler: Scheduler) throws {
        let cache = record.state(as: BatchNorm.Cache<T>.self)
        try BatchNorm.validateBackward(dout: dout, cache: cache)
        BatchNorm.gradientSums(dout: dout, cache: cache, formula: .graph, sums: sums, scheduler: scheduler)
    }

    package func gradients<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, count: Int, sums: [Double],
                                            scheduler: Scheduler) throws -> NormalizationGradients<T> {
        try BatchNorm.gradients(dout: dout, cache: record.state(as: BatchNorm.Cache<T>.self), formula: .graph, count: count,
                                sums: sums, scheduler: scheduler)
    }

    /// `tessel op batchnorm` and `batchnorm_alt` (`mode`, `eps`, `momentum`; optional inputs
    /// `running_mean`, `running_var`): out and, in train mode, the running statistics; or dx,
    /// dgamma, dbeta (the simplified backward for `batchnorm_alt`).
    struct Operation: OperationEvaluator {
        let alternative: Bool

        func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
            let x = try call.tensor("x"), gamma = try call.tensor("gamma"), beta = try call.tensor("beta")
            let parameters = try BatchNormKind.operationParameters(call)
            var running = try BatchNormKind.runningStatistics(call, features: x.shape.last ?? 0)
            let (out, cache) = try forward(x, gamma: gamma, beta: beta, parameters, running: &running, backend: call.backend)
            guard call.isBackward else {
                return [("out", out)] + (parameters.mode == .train ? [("running_mean", running.mean), ("running_var", running.variance)] : [])
            }
            let g = try backward(try call.dout(), cache: cache, alternative: alternative, backend: call.backend)
            return [("dx", g.dx), ("dgamma", g.dgamma), ("dbeta", g.dbeta)]
        }
    }

    /// The `mode`, `eps` (default 1e-5) and `momentum` (default 0.9) parameters of a `tessel op` call.
    static func operationParameters<T>(_ call: OperationCall<T>) throws -> BatchNorm.Parameters {
        try BatchNorm.Parameters(mode: call.arguments.mode("mode"), eps: call.arguments.double("eps", default: 1e-5),
                                 momentum: call.arguments.double("momentum", default: 0.9))
    }

    /// The `running_mean` and `running_var` inputs of a `tessel op` call, zeros when absent.
    static func runningStatistics<T>(_ call: OperationCall<T>, features: Int) throws -> RunningStatistics<T> {
        let mean = try call.optionalTensor("running_mean") ?? Tensor<T>(shape: [features])
        let variance = try call.optionalTensor("running_var") ?? Tensor<T>(shape: [features])
        return RunningStatistics(mean: mean, variance: variance)
    }
}

extension LayerSpec {
    /// Batch normalization over (N, D) input; `momentum` weighs the old running statistics.
    public static func batchNorm(epsilon: Double, momentum: Double) -> LayerSpec {
        LayerSpec(BatchNormKind(epsilon: epsilon, momentum: momentum))
    }
}
