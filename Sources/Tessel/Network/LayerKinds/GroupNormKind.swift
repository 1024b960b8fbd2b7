/// `groupnorm`: group normalization of NCHW input in `groups` groups of channels.
package struct GroupNormKind: NormalizationKind, PoolFusingKind {
    package var groups: Int
    package var epsilon: Double

    package static let typeName = GroupNorm.name
    package static let configKeys = ["groups", "eps"].map { LayerConfigKey($0) }
    package static let exampleRank: Int? = 3
    package static var operations: [LayerOperation] {
        [LayerOperation(name: GroupNorm.name, forwardInputs: ["x", "gamma", "beta"], parameters: ["G", "eps"], evaluator: Operation())]
    }

    package init(groups: Int, epsilon: Double) {
        (self.groups, self.epsilon) = (groups, epsilon)
    }

    package init(config: KeyedDecodingContainer<LayerConfigKey>) throws {
        self.init(groups: try config.integer(LayerConfigKey("groups"), atLeast: 1), epsilon: try config.epsilon())
    }

    package func encode(config: inout KeyedEncodingContainer<LayerConfigKey>) throws {
        try config.encode(groups, forKey: LayerConfigKey("groups"))
        try config.encode(epsilon, forKey: LayerConfigKey("eps"))
    }

    var layerParameters: GroupNorm.Parameters { GroupNorm.Parameters(groups: groups, eps: epsilon) }

    package func outputShape(input: [Int]) throws -> [Int] {
        Array(try GroupNorm.outputShape(x: [1] + input, parameters: layerParameters).dropFirst())
    }

    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        let (out, cache) = try Self.forward(x, gamma: p[0], beta: p[1], layerParameters, backend: backend)
        return (out, .state(cache))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        let g = try Self.backward(dout, cache: record.state(as: GroupNorm.Cache<T>.self), backend: backend)
        return (g.dx, [g.dgamma, g.dbeta])
    }

    /// Tiled: the fused kernels; reference: the serial layer, then the serial ReLU, then the
    /// fused dropout's element rule over the whole tensor.
    package func forwardApplyingReLU<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], dropout: FusedDropout<T>?,
                                                      context: inout LayerContext<T>, backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        switch backend {
        case let .tiled(s):
            let (out, cache) = try GroupNorm.forward(x: x, gamma: p[0], beta: p[1], parameters: layerParameters, appliesReLU: true,
                                                     dropout: dropout, scheduler: s)
            return (out, .state(cache))
        case .reference:
            let (out, cache) = try GroupNorm.Reference.forward(x: x, gamma: p[0], beta: p[1], parameters: layerParameters)
            let reluOutput = try ReLU.Reference.forward(out)
            dropout?.apply(toWhole: reluOutput)
            return (reluOutput, .state(cache))
        }
    }

    package func backwardThroughReLU<T: TesselScalar>(_ dout: Tensor<T>, mask: ChainMask<T>, record: LayerRecord<T>,
                                                      parameters p: [Tensor<T>], backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        let cache = record.state(as: GroupNorm.Cache<T>.self)
        let g = switch backend {
        case let .tiled(s): try GroupNorm.backward(dout: dout, maskedBy: mask, cache: cache, scheduler: s)
        case .reference: try GroupNorm.Reference.backward(dout: try mask.applied(to: dout), cache: cache)
        }
        return (g.dx, [g.dgamma, g.dbeta])
    }

    package func chainSuits(pooling window: PoolingWindow) -> Bool { GroupNorm.chainSuits(pooling: window) }

    /// Tiled: the chain's kernels (`GroupNorm+MaxPool.swift`); reference: the serial layer,
    /// ReLU and max pool.
    package func forwardPooling<T: TesselScalar>(_ x: Tensor<T>, window: PoolingWindow, parameters p: [Tensor<T>],
                                                 context: inout LayerContext<T>, backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        switch backend {
        case let .tiled(s):
            let (out, cache) = try GroupNorm.forwardPooling(x: x, gamma: p[0], beta: p[1], parameters: layerParameters, window: window,
                                                            scheduler: s)
            return (out, .state(cache))
        case .reference:
            let (out, cache) = try GroupNorm.Reference.forward(x: x, gamma: p[0], beta: p[1], parameters: layerParameters)
            return (try MaxPool.Reference.forward(x: try ReLU.Reference.forward(out), parameters: window), .state(cache))
        }
    }

    /// Reference: the ReLU's output is recomputed by the serial layer from the cached x.
    package func backwardThroughPool<T: TesselScalar>(_ pooledDout: Tensor<T>, window: PoolingWindow, record: LayerRecord<T>,
                                                      parameters p: [Tensor<T>], backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        let cache = record.state(as: GroupNorm.Cache<T>.self)
        let g: NormalizationGradients<T>
        if case let .tiled(s) = backend {
            g = try GroupNorm.backward(pooledDout: pooledDout, window: window, beta: p[1], cache: cache, scheduler: s)
        } else {
            let reluOutput = try ReLU.Reference.forward(try GroupNorm.Reference.forward(x: cache.x, gamma: p[0], beta: p[1],
                                                                                        parameters: layerParameters).out)
            let dout = try MaxPool.Reference.backward(dout: pooledDout, x: reluOutput, parameters: window)
            g = try GroupNorm.Reference.backward(dout: try ReLU.Reference.backward(dout: dout, x: reluOutput), cache: cache)
        }
        return (g.dx, [g.dgamma, g.dbeta])
    }

    @_specialize(exported: true, where T == Float)
    package static func forward<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, _ parameters: GroupNorm.Parameters,
                                         backend: Backend) throws -> (Tensor<T>, GroupNorm.Cache<T>) {
        switch backend {
        case let .tiled(s): try GroupNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, scheduler: s)
        case .reference: try GroupNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters)
        }
    }

    @_specialize(exported: true, where T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, cache: GroupNorm.Cache<T>, backend: Backend) throws -> NormalizationGradients<T> {
        switch backend {
        case let .tiled(s): try GroupNorm.backward(dout: dout, cache: cache, scheduler: s)
        case .reference: try GroupNorm.Reference.backward(dout: dout, cache: cache)
        }
    }

    /// `tessel op groupnorm` (`G`, `eps`): out, or dx, dgamma, dbeta.
    struct Operation: OperationEvaluator {
        func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
            let x = try call.tensor("x"), gamma = try call.tensor("gamma"), beta = try call.tensor("beta")
            let parameters = GroupNorm.Parameters(groups: try call.arguments.int("G", default: nil), eps: try call.arguments.double("eps", default: 1e-5))
            let (out, cache) = try forward(x, gamma: gamma, beta: beta, parameters, backend: call.backend)
            guard call.isBackward else { return [("out", out)] }
            let g = try backward(try call.dout(), cache: cache, backend: call.backend)
            return [("dx", g.dx), ("dgamma", g.dgamma), ("dbeta", g.dbeta)]
        }
    }
}

extension LayerSpec {
    /// Group normalization of NCHW input in `groups` groups of channels.
    public static func groupNorm(groups: Int, epsilon: Double) -> LayerSpec { LayerSpec(GroupNormKind(groups: groups, epsilon: epsilon)) }
}
