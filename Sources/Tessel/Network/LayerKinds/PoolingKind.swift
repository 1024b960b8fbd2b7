/// A pooling layer (`MaxPool`, `AveragePool`) as its kind calls it: the layer's own name,
/// validation, tiled forward and reference forward, all over a `PoolingWindow`.
package protocol PoolingLayer {
    /// The layer's serial reference.
    associatedtype Reference: PoolingReference

    /// The layer's name in errors, in config files and on the command line.
    static var name: String { get }
    /// The output shape (N, C, H', W') for an input of shape `x`. - Throws: the layer's `TesselError`s.
    static func outputShape(x: [Int], parameters: PoolingWindow) throws -> [Int]
    /// The tiled forward. - Throws: the layer's `TesselError`s.
    static func forward<T: TesselScalar>(x: Tensor<T>, parameters: PoolingWindow, scheduler: Scheduler) throws -> Tensor<T>
}

/// A pooling layer's serial reference, as its kind calls it.
package protocol PoolingReference {
    /// The reference forward. - Throws: the layer's `TesselError`s.
    static func forward<T: TesselScalar>(x: Tensor<T>, parameters: PoolingWindow) throws -> Tensor<T>
}

/// A pooling layer kind: square `size`×`size` windows moved by `stride` (default `size`) over
/// images. Gives such a kind its config keys, output shape and cost, its forward, its network
/// record and its `tessel op` operation; the kind itself says what its backward keeps of the
/// forward's input, and runs that backward.
package protocol PoolingKind: LayerKind {
    /// The layer the kind calls.
    associatedtype Layer: PoolingLayer

    /// The side of the square window (≥ 1, ≤ H and W).
    var size: Int { get }
    /// Distance between adjacent windows (≥ 1).
    var stride: Int { get }

    init(size: Int, stride: Int)

    /// What the backward keeps of the forward's input `x` (N, C, H, W).
    static func saved<T: TesselScalar>(_ x: Tensor<T>) -> LayerRecord<T>

    /// The backward on `backend`: `dx` (N, C, H, W) for `dout` (N, C, H', W') and what
    /// `saved` kept of the forward's input.
    /// - Throws: the layer's `TesselError`s.
    static func backward<T: TesselScalar>(_ dout: Tensor<T>, saved: LayerRecord<T>, _ window: PoolingWindow,
                                          backend: Backend) throws -> Tensor<T>
}

extension PoolingKind {
    package static var typeName: String { Layer.name }
    package static var configKeys: [LayerConfigKey] { ["size", "stride"].map { LayerConfigKey($0) } }
    package static var exampleRank: Int? { 3 }
    /// The kind's `tessel op` operation, named as the layer, with CS231n's `pool_param` keys.
    package static var operations: [LayerOperation] {
        [LayerOperation(name: Layer.name, forwardInputs: ["x"], parameters: ["pool_height", "pool_width", "stride"],
                        evaluator: PoolingOperation<Self>())]
    }

    /// `size`, and `stride` (default: `size`).
    package init(config: KeyedDecodingContainer<LayerConfigKey>) throws {
        let size = try config.integer(LayerConfigKey("size"), atLeast: 1)
        self.init(size: size, stride: try config.integer(LayerConfigKey("stride"), default: size, atLeast: 1))
    }

    package func encode(config: inout KeyedEncodingContainer<LayerConfigKey>) throws {
        for (key, value) in zip(Self.configKeys, [size, stride]) { try config.encode(value, forKey: key) }
    }

    /// The layer's window: `size`×`size`, moved by `stride`.
    var window: PoolingWindow { PoolingWindow(poolHeight: size, poolWidth: size, stride: stride) }

    package func outputShape(input: [Int]) throws -> [Int] {
        do {
            return Array(try Layer.outputShape(x: [1] + input, parameters: window).dropFirst())
        } catch let TesselError.invalidParameter(layer, "poolHeight", value, reason), let TesselError.invalidParameter(layer, "poolWidth", value, reason) {
            // The window's height and width are this kind's `size`.
            throw TesselError.invalidParameter(component: layer, parameter: "size", value: value, reason: reason)
        }
    }

    /// k² operations (comparisons or additions) per output each way.
    package func flops(input: [Int], inputElements: Double, outputElements: Double) -> (forward: Double, backward: Double) {
        (outputElements * Double(size * size), outputElements * Double(size * size))
    }

    package func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                          backend: Backend) throws -> (Tensor<T>, LayerRecord<T>) {
        (try Self.forward(x, window, backend: backend), Self.saved(x))
    }

    package func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                           backend: Backend) throws -> (Tensor<T>, [Tensor<T>]) {
        (try Self.backward(dout, saved: record, window, backend: backend), [])
    }

    /// The forward on `backend`: `out` (N, C, H', W') for `x` (N, C, H, W).
    /// - Throws: the layer's `TesselError`s.
    @_specialize(exported: true, where Self == MaxPoolKind, T == Float)
    @_specialize(exported: true, where Self == AveragePoolKind, T == Float)
    package static func forward<T: TesselScalar>(_ x: Tensor<T>, _ window: PoolingWindow, backend: Backend) throws -> Tensor<T> {
        switch backend {
        case let .tiled(s): try Layer.forward(x: x, parameters: window, scheduler: s)
        case .reference: try Layer.Reference.forward(x: x, parameters: window)
        }
    }
}

/// `tessel op maxpool` / `avgpool` (`pool_height`, `pool_width`, `stride`, all required):
/// out, or dx (from x and dout).
struct PoolingOperation<Kind: PoolingKind>: OperationEvaluator {
    func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)] {
        let x = try call.tensor("x")
        let window = PoolingWindow(poolHeight: try call.arguments.int("pool_height", default: nil),
                                   poolWidth: try call.arguments.int("pool_width", default: nil),
                                   stride: try call.arguments.int("stride", default: nil))
        guard call.isBackward else { return [("out", try Kind.forward(x, window, backend: call.backend))] }
        return [("dx", try Kind.backward(try call.dout(), saved: Kind.saved(x), window, backend: call.backend))]
    }
}
