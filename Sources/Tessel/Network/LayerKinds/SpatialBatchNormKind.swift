/// `spatial_batchnorm`: batch normalization of each channel of NCHW input.
package struct SpatialBatchNormKind: BatchNormalizationKind {
    package var epsilon: Double
    package var momentum: Double

    package static let typeName = SpatialBatchNorm.name
    package static let exampleRank: Int? = 3
    package static var operations: [LayerOperation] {
        [LayerOperation(name: SpatialBatchNorm.name, forwardInputs: ["x", "gamma", "beta"], optionalInputs: ["running_mean", "running_var"],
                        parameters: ["mode", "eps", "momentum"], evaluator: Operation())]
    }

    package init(epsilon: Double, momentum: Double) {
        (self.epsilon, self.momentum) = (epsilon, momentum)
    }

    package func outputShape(input: [Int]) throws -> [Int] {
        Array(try SpatialBatchNorm.outputShape(x: [1] + input, parameters: layerParameters(.train)).dropFirst())
    }

    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        let (out, cache) = try Self.forward(x, gamma: p[0], beta: p[1], layerParameters(context.mode), running: &context.statistics!, backend: backend)
        return (out, .state(cache))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        let g = try Self.backward(dout, cache: record.state(as: SpatialBatchNorm.Cache<T>.self), backend: backend)
        return (g.dx, [g.dgamma, g.dbeta])
    }

    @_specialize(exported: true, where T == Float)
    package static func forward<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, _ parameters: SpatialBatchNorm.Parameters,
                                         running: inout RunningStatistics<T>, backend: Backend) throws -> (Tensor<T>, SpatialBatchNorm.Cache<T>) {
        switch backend {
        case let .tiled(s): try SpatialBatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running, scheduler: s)
        case .reference: try SpatialBatchNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: &running)
        }
    }

    @_specialize(exported: true, where T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, cache: SpatialBatchNorm.Cache<T>, backend: Backend) throws -> NormalizationGradients<T> {
        switch backend {
        case let .tiled(s): try SpatialBatchNorm.backward(dout: dout, cache: cache, scheduler: s)
        case .reference: try SpatialBatchNorm.Reference.backward(dout: dout, cache: cache)
        }
    }

    // MARK: ShardableNormalization

    package func valuesPerFeature<T: TesselScalar>(of x: Tensor<T>) -> Int { x.shape[2] * x.shape[3] }

    package func partialMoments<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, running: RunningStatistics<T>,
                                                 mean: UnsafeMutablePointer<Double>, m2: UnsafeMutablePointer<Double>,
                                                 scheduler: Scheduler) throws {
        try SpatialBatchNorm.validateForward(x: x, gamma: gamma, beta: beta, parameters: trainParameters, running: running)
        x.withUnsafeBufferPointer { xs in
            SpatialBatchNorm.channelMoments(xs.baseAddress!, shape: x.shape, mean: mean, m2: m2, scheduler: scheduler)
        }
    }

    package func normalize<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, mean: [Double], inverseStd: [Double],
                                            scheduler: Scheduler) throws -> (Tensor<T>, LayerRecord<T>) {
        let out = try SpatialBatchNorm.normalize(x, mean: mean, inverseStd: inverseStd, gamma: gamma, beta: beta, scheduler: scheduler)
        let cache = SpatialBatchNorm.Cache(x: x, gamma: gamma, mean: try Tensor<Double>(shape: [mean.count], scalars: mean),
                                           inverseStd: try Tensor<Double>(shape: [inverseStd.count], scalars: inverseStd), mode: .train)
        return (out, .state(cache))
    }

    package func gradientSumCount(features: Int) -> Int { 2 * features }

    package func gradientSums<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, sums: UnsafeMutablePointer<Double>,
                                               scheduler: Scheduler) throws {
        let cache = record.state(as: SpatialBatchNorm.Cache<T>.self)
        try SpatialBatchNorm.validateBackward(dout: dout, cache: cache)
        SpatialBatchNorm.gradientSums(dout: dout, cache: cache, sums: sums, scheduler: scheduler)
    }

    package func gradients<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, count: Int, sums: [Double],
                                            scheduler: Scheduler) throws -> NormalizationGradients<T> {
        try SpatialBatchNorm.gradients(dout: dout, cache: record.state(as: SpatialBatchNorm.Cache<T>.self), count: count,
                                       sums: sums, scheduler: scheduler)
    }

    /// `tessel op spatial_batchnorm` (`mode`, `eps`, `momentum`; optional inputs `running_mean`,
    /// `running_var`): out and, in train mode, the running statistics; or dx, dgamma, dbeta.
    struct Operation: OperationEvaluator {
        func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
            let x = try call.tensor("x"), gamma = try call.tensor("gamma"), beta = try call.tensor("beta")
            let parameters = try BatchNormKind.operationParameters(call)
            var running = try BatchNormKind.runningStatistics(call, features: x.rank > 1 ? x.shape[1] : 0)
            let (out, cache) = try forward(x, gamma: gamma, beta: beta, parameters, running: &running, backend: call.backend)
            guard call.isBackward else {
                return [("out", out)] + (parameters.mode == .train ? [("running_mean", running.mean), ("running_var", running.variance)] : [])
            }
            let g = try backward(try call.dout(), cache: cache, backend: call.backend)
            return [("dx", g.dx), ("dgamma", g.dgamma), ("dbeta", g.dbeta)]
        }
    }
}

extension LayerSpec {
    /// Batch normalization of each channel of NCHW input.
    public static func spatialBatchNorm(epsilon: Double, momentum: Double) -> LayerSpec {
        LayerSpec(SpatialBatchNormKind(epsilon: epsilon, momentum: momentum))
    }
}
