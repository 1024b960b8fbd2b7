/// `layernorm`: layer normalization over the features of (N, D) input.
package struct LayerNormKind: NormalizationKind, ReLUFusingKind {
    package var epsilon: Double

    package static let typeName = LayerNorm.name
    package static let configKeys = [LayerConfigKey("eps")]
    package static let exampleRank: Int? = 1
    package static var operations: [LayerOperation] {
        [LayerOperation(name: LayerNorm.name, forwardInputs: ["x", "gamma", "beta"], parameters: ["eps"], evaluator: Operation())]
    }

    package init(epsilon: Double) { self.epsilon = epsilon }

    package init(config: KeyedDecodingContainer<LayerConfigKey>) throws {
        self.init(epsilon: try config.epsilon())
    }

    package func encode(config: inout KeyedEncodingContainer<LayerConfigKey>) throws {
        try config.encode(epsilon, forKey: LayerConfigKey("eps"))
    }

    package func outputShape(input: [Int]) throws -> [Int] {
        Array(try LayerNorm.outputShape(x: [1] + input, parameters: LayerNorm.Parameters(eps: epsilon)).dropFirst())
    }

    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        let (out, cache) = try Self.forward(x, gamma: p[0], beta: p[1], LayerNorm.Parameters(eps: epsilon), backend: backend)
        return (out, .state(cache))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        let g = try Self.backward(dout, cache: record.state(as: LayerNorm.Cache<T>.self), backend: backend)
        return (g.dx, [g.dgamma, g.dbeta])
    }

    /// Tiled: the fused kernels; reference: the serial layer, then the serial ReLU, then the
    /// fused dropout's element rule over the whole tensor.
    package func forwardApplyingReLU<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], dropout: FusedDropout<T>?,
                                                      context: inout LayerContext<T>, backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        let parameters = LayerNorm.Parameters(eps: epsilon)
        switch backend {
        case let .tiled(s):
            let (out, cache) = try LayerNorm.forward(x: x, gamma: p[0], beta: p[1], parameters: parameters, appliesReLU: true,
                                                     dropout: dropout, scheduler: s)
            return (out, .state(cache))
        case .reference:
            let (out, cache) = try LayerNorm.Reference.forward(x: x, gamma: p[0], beta: p[1], parameters: parameters)
            let reluOutput = try ReLU.Reference.forward(out)
            dropout?.apply(toWhole: reluOutput)
            return (reluOutput, .state(cache))
        }
    }

    package func backwardThroughReLU<T: TesselScalar>(_ dout: Tensor<T>, mask: ChainMask<T>, record: LayerRecord<T>,
                                                      parameters p: [Tensor<T>], backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        let cache = record.state(as: LayerNorm.Cache<T>.self)
        let g = switch backend {
        case let .tiled(s): try LayerNorm.backward(dout: dout, maskedBy: mask, cache: cache, scheduler: s)
        case .reference: try LayerNorm.Reference.backward(dout: try mask.applied(to: dout), cache: cache)
        }
        return (g.dx, [g.dgamma, g.dbeta])
    }

    @_specialize(exported: true, where T == Float)
    package static func forward<T: TesselScalar>(_ x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, _ parameters: LayerNorm.Parameters,
                                         backend: Backend) throws -> (Tensor<T>, LayerNorm.Cache<T>) {
        switch backend {
        case let .tiled(s): try LayerNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters, scheduler: s)
        case .reference: try LayerNorm.Reference.forward(x: x, gamma: gamma, beta: beta, parameters: parameters)
        }
    }

    @_specialize(exported: true, where T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, cache: LayerNorm.Cache<T>, backend: Backend) throws -> NormalizationGradients<T> {
        switch backend {
        case let .tiled(s): try LayerNorm.backward(dout: dout, cache: cache, scheduler: s)
        case .reference: try LayerNorm.Reference.backward(dout: dout, cache: cache)
        }
    }

    /// `tessel op layernorm` (`eps`): out, or dx, dgamma, dbeta.
    struct Operation: OperationEvaluator {
        func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
            let x = try call.tensor("x"), gamma = try call.tensor("gamma"), beta = try call.tensor("beta")
            let parameters = LayerNorm.Parameters(eps: try call.arguments.double("eps", default: 1e-5))
            let (out, cache) = try forward(x, gamma: gamma, beta: beta, parameters, backend: call.backend)
            guard call.isBackward else { return [("out", out)] }
            let g = try backward(try call.dout(), cache: cache, backend: call.backend)
            return [("dx", g.dx), ("dgamma", g.dgamma), ("dbeta", g.dbeta)]
        }
    }
}

extension LayerSpec {
    /// Layer normalization over the features of (N, D) input.
    public static func layerNorm(epsilon: Double) -> LayerSpec { LayerSpec(LayerNormKind(epsilon: epsilon)) }
}
