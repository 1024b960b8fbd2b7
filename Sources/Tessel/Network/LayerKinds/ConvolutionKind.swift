/// `conv`: `filters` filters of `size`×`size` over NCHW input, with `stride` and zero padding `pad`.
package struct ConvolutionKind: LayerKind {
    package var filters: Int
    package var size: Int
    package var stride: Int
    package var pad: Int

    package static let typeName = Convolution.name
    package static let configKeys = ["filters", "size", "stride", "pad"].map { LayerConfigKey($0) }
    package static let exampleRank: Int? = 3
    package static var operations: [LayerOperation] {
        [LayerOperation(name: Convolution.name, forwardInputs: ["x", "w", "b"], parameters: ["stride", "pad"], evaluator: Operation())]
    }

    package init(filters: Int, size: Int, stride: Int, pad: Int) {
        (self.filters, self.size, self.stride, self.pad) = (filters, size, stride, pad)
    }

    package init(config: KeyedDecodingContainer<LayerConfigKey>) throws {
        self.init(filters: try config.integer(LayerConfigKey("filters"), atLeast: 1), size: try config.integer(LayerConfigKey("size"), atLeast: 1),
                  stride: try config.integer(LayerConfigKey("stride"), default: 1, atLeast: 1),
                  pad: try config.integer(LayerConfigKey("pad"), default: 0, atLeast: 0))
    }

    package func encode(config: inout KeyedEncodingContainer<LayerConfigKey>) throws {
        for (key, value) in zip(Self.configKeys, [filters, size, stride, pad]) { try config.encode(value, forKey: key) }
    }

    var layerParameters: Convolution.Parameters { Convolution.Parameters(stride: stride, pad: pad) }

    /// (filters, H', W') as `Convolution.outputSize` gives them.
    package func outputShape(input: [Int]) throws -> [Int] {
        guard filters >= 1 else {
            throw TesselError.invalidParameter(component: Convolution.name, parameter: "filters", value: "\(filters)", reason: "must be at least 1")
        }
        do {
            let (height, width) = try Convolution.outputSize(inputHeight: input[1], inputWidth: input[2], filterHeight: size, filterWidth: size,
                                                             parameters: layerParameters)
            return [filters, height, width]
        } catch let TesselError.shapeMismatch(layer, _, expected, _) {
            // The filter is this kind's `size`.
            throw TesselError.invalidParameter(component: layer, parameter: "size", value: "\(size)", reason: "must be \(expected)")
        }
    }

    package func parameters(input: [Int]) -> [ParameterSpec] {
        ParameterSpec.weightsAndBias([filters, input[0], size, size], units: filters)
    }

    /// Forward 2·N·F·C·k²·H'·W' (+ the bias), backward twice that.
    package func flops(input: [Int], inputElements: Double, outputElements: Double) -> (forward: Double, backward: Double) {
        let product = outputElements * Double(input[0] * size * size)
        return (2 * product + outputElements, 4 * product + outputElements)
    }

    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        (try Self.forward(x, w: p[0], b: p[1], layerParameters, backend: backend), .input(x))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        let g = try Self.backward(dout, x: record.input(), w: p[0], b: p[1], layerParameters, backend: backend)
        return (g.dx, [g.dw, g.db])
    }

    /// dw and db without dx's products and col2im.
    package func parameterGradients<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                                     backend: Backend) throws -> [Tensor<T>] {
        let g = try Self.parameterGradients(dout, x: record.input(), w: p[0], b: p[1], layerParameters, backend: backend)
        return [g.dw, g.db]
    }

    /// dx = col2im(Wᵀ · dout): 2·N·F·C·k²·H'·W'.
    package func inputGradientFlops(input: [Int], inputElements: Double, outputElements: Double) -> Double {
        2 * outputElements * Double(input[0] * size * size)
    }

    @_specialize(exported: true, where T == Float)
    package static func forward<T: TesselScalar>(_ x: Tensor<T>, w: Tensor<T>, b: Tensor<T>, _ parameters: Convolution.Parameters,
                                         backend: Backend) throws -> Tensor<T> {
        switch backend {
        case let .tiled(s): try Convolution.forward(x: x, w: w, b: b, parameters: parameters, scheduler: s)
        case .reference: try Convolution.Reference.forward(x: x, w: w, b: b, parameters: parameters)
        }
    }

    @_specialize(exported: true, where T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>, _ parameters: Convolution.Parameters,
                                          backend: Backend) throws -> WeightGradients<T> {
        switch backend {
        case let .tiled(s): try Convolution.backward(dout: dout, x: x, w: w, b: b, parameters: parameters, scheduler: s)
        case .reference: try Convolution.Reference.backward(dout: dout, x: x, w: w, b: b, parameters: parameters)
        }
    }

    @_specialize(exported: true, where T == Float)
    package static func parameterGradients<T: TesselScalar>(_ dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                                            _ parameters: Convolution.Parameters,
                                                            backend: Backend) throws -> ParameterGradients<T> {
        switch backend {
        case let .tiled(s): try Convolution.parameterGradients(dout: dout, x: x, w: w, b: b, parameters: parameters, scheduler: s)
        case .reference: try Convolution.Reference.parameterGradients(dout: dout, x: x, w: w, b: b, parameters: parameters)
        }
    }

    /// `tessel op conv` (`stride`, `pad`): out, or dx, dw, db.
    struct Operation: OperationEvaluator {
        func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
            let x = try call.tensor("x"), w = try call.tensor("w"), b = try call.tensor("b")
            let parameters = Convolution.Parameters(stride: try call.arguments.int("stride", default: nil),
                                                    pad: try call.arguments.int("pad", default: nil))
            guard call.isBackward else { return [("out", try forward(x, w: w, b: b, parameters, backend: call.backend))] }
            let g = try backward(try call.dout(), x: x, w: w, b: b, parameters, backend: call.backend)
            return [("dx", g.dx), ("dw", g.dw), ("db", g.db)]
        }
    }
}

extension LayerSpec {
    /// `filters` filters of `size`×`size` over NCHW input, with `stride` and zero padding `pad`.
    public static func convolution(filters: Int, size: Int, stride: Int, pad: Int) -> LayerSpec {
        LayerSpec(ConvolutionKind(filters: filters, size: size, stride: stride, pad: pad))
    }
}
