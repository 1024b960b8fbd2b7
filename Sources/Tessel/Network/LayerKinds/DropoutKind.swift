/// `dropout`: inverted dropout keeping each activation with probability `keep` (CS231n's `p`).
package struct DropoutKind: LayerKind {
    package var keep: Double

    package static let typeName = Dropout.name
    package static let configKeys = [LayerConfigKey("keep")]
    package static var operations: [LayerOperation] {
        [LayerOperation(name: Dropout.name, forwardInputs: ["x"], parameters: ["p", "mode", "seed"], evaluator: Operation())]
    }

    package init(keep: Double) { self.keep = keep }

    package init(config: KeyedDecodingContainer<LayerConfigKey>) throws {
        keep = try config.number(LayerConfigKey("keep"), default: nil, "must lie in (0, 1]") { $0 > 0 && $0 <= 1 }
    }

    package func encode(config: inout KeyedEncodingContainer<LayerConfigKey>) throws {
        try config.encode(keep, forKey: LayerConfigKey("keep"))
    }

    package func outputShape(input: [Int]) throws -> [Int] {
        do {
            try Dropout.validate(Dropout.Parameters(p: keep))
        } catch let TesselError.invalidParameter(layer, "p", value, reason) {
            // The keep probability is this kind's `keep`.
            throw TesselError.invalidParameter(component: layer, parameter: "keep", value: value, reason: reason)
        }
        return input
    }

    /// One operation per element each way.
    package func flops(input: [Int], inputElements: Double, outputElements: Double) -> (forward: Double, backward: Double) {
        (inputElements, inputElements)
    }

    /// The mask of a train-mode forward; nil in test mode.
    struct Mask<T: TesselScalar>: Sendable {
        let mask: Tensor<T>?
    }

    /// The mask is drawn from `context.seed`; on the tiled path `x` may be the rows from
    /// `context.firstRow` on of a larger batch, and gets that batch's mask for them.
    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        let parameters = Dropout.Parameters(p: keep, mode: context.mode, seed: context.seed)
        let (out, mask) = switch backend {
        case let .tiled(s):
            try Dropout.forward(x: x, parameters: parameters, firstIndex: context.firstRow * (x.count / max(1, x.shape[0])), scheduler: s)
        case .reference: try Dropout.Reference.forward(x: x, parameters: parameters)
        }
        return (out, .state(Mask(mask: mask)))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        let mask = record.state(as: Mask<T>.self).mask
        return (try Self.backward(dout, mask: mask, Dropout.Parameters(p: keep, mode: mask == nil ? .test : .train), backend: backend), [])
    }

    /// The whole tensor's forward (a `tessel op` call, a benchmark pass): out and the mask.
    @_specialize(exported: true, where T == Float)
    package static func forward<T: TesselScalar>(_ x: Tensor<T>, _ parameters: Dropout.Parameters, backend: Backend) throws -> (Tensor<T>, Tensor<T>?) {
        switch backend {
        case let .tiled(s): try Dropout.forward(x: x, parameters: parameters, scheduler: s)
        case .reference: try Dropout.Reference.forward(x: x, parameters: parameters)
        }
    }

    @_specialize(exported: true, where T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, mask: Tensor<T>?, _ parameters: Dropout.Parameters,
                                          backend: Backend) throws -> Tensor<T> {
        switch backend {
        case let .tiled(s): try Dropout.backward(dout: dout, mask: mask, parameters: parameters, scheduler: s)
        case .reference: try Dropout.Reference.backward(dout: dout, mask: mask, parameters: parameters)
        }
    }

    /// `tessel op dropout` (`p`, `mode`, `seed`): out and, in train mode, mask; or dx.
    struct Operation: OperationEvaluator {
        func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
            let x = try call.tensor("x")
            let parameters = Dropout.Parameters(p: try call.arguments.double("p", default: nil), mode: try call.arguments.mode("mode"),
                                                seed: try call.arguments.optionalSeed("seed"))
            let (out, mask) = try forward(x, parameters, backend: call.backend)
            guard call.isBackward else { return [("out", out)] + (mask.map { [("mask", $0)] } ?? []) }
            return [("dx", try backward(try call.dout(), mask: mask, parameters, backend: call.backend))]
        }
    }
}

extension LayerSpec {
    /// Inverted dropout keeping each activation with probability `keep` (CS231n's `p`).
    public static func dropout(keep: Double) -> LayerSpec { LayerSpec(DropoutKind(keep: keep)) }
}
