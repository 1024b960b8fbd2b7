/// `affine`: the input flattened to (N, D) times weights (D, `units`) plus a bias.
package struct AffineKind: LayerKind {
    /// Output features (≥ 1).
    package var units: Int

    package static let typeName = Affine.name
    package static let configKeys = [LayerConfigKey("units")]
    package static var operations: [LayerOperation] {
        [LayerOperation(name: Affine.name, forwardInputs: ["x", "w", "b"], evaluator: Operation())]
    }

    package init(units: Int) { self.units = units }

    package init(config: KeyedDecodingContainer<LayerConfigKey>) throws {
        units = try config.integer(LayerConfigKey("units"), atLeast: 1)
    }

    package func encode(config: inout KeyedEncodingContainer<LayerConfigKey>) throws {
        try config.encode(units, forKey: LayerConfigKey("units"))
    }

    package func outputShape(input: [Int]) throws -> [Int] {
        guard units >= 1 else {
            throw TesselError.invalidParameter(component: Affine.name, parameter: "units", value: "\(units)", reason: "must be at least 1")
        }
        return [units]
    }

    package func parameters(input: [Int]) -> [ParameterSpec] {
        ParameterSpec.weightsAndBias([input.reduce(1, *), units], units: units)
    }

    /// Forward 2·N·D·M (+ the bias), backward 4·N·D·M + N·M.
    package func flops(input: [Int], inputElements: Double, outputElements: Double) -> (forward: Double, backward: Double) {
        let product = inputElements * Double(units)
        return (2 * product + outputElements, 4 * product + outputElements)
    }

    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        (try Self.forward(x, w: p[0], b: p[1], backend: backend), .input(x))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        let g = try Self.backward(dout, x: record.input(), w: p[0], b: p[1], backend: backend)
        return (g.dx, [g.dw, g.db])
    }

    /// dw and db without the dx product `dout · wᵀ`.
    package func parameterGradients<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                                     backend: Backend) throws -> [Tensor<T>] {
        let g = try Self.parameterGradients(dout, x: record.input(), w: p[0], b: p[1], backend: backend)
        return [g.dw, g.db]
    }

    /// dx = dout · wᵀ: 2·N·D·M.
    package func inputGradientFlops(input: [Int], inputElements: Double, outputElements: Double) -> Double {
        2 * inputElements * Double(units)
    }

    @_specialize(exported: true, where T == Float)
    package static func forward<T: TesselScalar>(_ x: Tensor<T>, w: Tensor<T>, b: Tensor<T>, backend: Backend) throws -> Tensor<T> {
        switch backend {
        case let .tiled(s): try Affine.forward(x: x, w: w, b: b, scheduler: s)
        case .reference: try Affine.Reference.forward(x: x, w: w, b: b)
        }
    }

    @_specialize(exported: true, where T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                          backend: Backend) throws -> WeightGradients<T> {
        switch backend {
        case let .tiled(s): try Affine.backward(dout: dout, x: x, w: w, b: b, scheduler: s)
        case .reference: try Affine.Reference.backward(dout: dout, x: x, w: w, b: b)
        }
    }

    @_specialize(exported: true, where T == Float)
    package static func parameterGradients<T: TesselScalar>(_ dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                                            backend: Backend) throws -> ParameterGradients<T> {
        switch backend {
        case let .tiled(s): try Affine.parameterGradients(dout: dout, x: x, w: w, b: b, scheduler: s)
        case .reference: try Affine.Reference.parameterGradients(dout: dout, x: x, w: w, b: b)
        }
    }

    /// `tessel op affine`: out, or dx, dw, db.
    struct Operation: OperationEvaluator {
        func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
            let x = try call.tensor("x"), w = try call.tensor("w"), b = try call.tensor("b")
            guard call.isBackward else { return [("out", try forward(x, w: w, b: b, backend: call.backend))] }
            let g = try backward(try call.dout(), x: x, w: w, b: b, backend: call.backend)
            return [("dx", g.dx), ("dw", g.dw), ("db", g.db)]
        }
    }
}

extension LayerSpec {
    /// Fully connected: the input flattened to (N, D) times weights (D, `units`) plus a bias.
    public static func affine(units: Int) -> LayerSpec { LayerSpec(AffineKind(units: units)) }
}
