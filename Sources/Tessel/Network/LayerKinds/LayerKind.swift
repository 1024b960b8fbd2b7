/// One kind of network layer (`conv`, `relu`, …): everything the network, a config file and
/// `tessel op` need to know about it, in one place. A value of the kind is one configured layer
/// (its hyperparameters); the weights belong to `Network`.
///
/// Each kind lives in a file of its own under `Network/LayerKinds/` and is listed once in
/// `LayerKinds.all`; besides that list, only its benchmark file in TesselBenchmarking names it
/// (`BenchmarkedKind`). The kind calls the layer's own validation, tiled
/// kernel and reference: the layer, not the kind, decides what is valid.
package protocol LayerKind: Sendable, Equatable {
    /// The `type` of the layer in a config file, and the stem of its layers' names (`conv0`).
    static var typeName: String { get }
    /// The keys a config file's layer object of this kind may hold besides `type`.
    static var configKeys: [LayerConfigKey] { get }
    /// The rank of one example this kind takes: 3 for images (C, H, W), 1 for vectors (D,),
    /// nil for any.
    static var exampleRank: Int? { get }
    /// The `tessel op` operations of this kind (most kinds have one, named as the kind).
    static var operations: [LayerOperation] { get }

    /// Reads the kind's keys from a config layer object.
    /// - Throws: `DecodingError` at the offending key (missing, or out of the range the
    ///   config format allows).
    init(config: KeyedDecodingContainer<LayerConfigKey>) throws
    /// Writes every key of `configKeys` (defaults too).
    func encode(config: inout KeyedEncodingContainer<LayerConfigKey>) throws

    /// The shape of one example after this layer, for one example of shape `input` (whose
    /// rank is `exampleRank`): the layer's own validation of its parameters and input shape.
    /// - Throws: the layer's `TesselError` when it cannot take `input` with these parameters.
    func outputShape(input: [Int]) throws -> [Int]
    /// The learnable tensors for an example of shape `input`: role, shape and initial value.
    func parameters(input: [Int]) -> [ParameterSpec]
    /// Whether the layer keeps running mean and variance of `input[0]` features (batch norms).
    var keepsRunningStatistics: Bool { get }
    /// Floating-point operations of a batch whose input holds `inputElements` values and
    /// output `outputElements` (`input` is one example's shape; see `Network.flops`).
    func flops(input: [Int], inputElements: Double, outputElements: Double) -> (forward: Double, backward: Double)

    /// Forward over `x` (N, input…) with the layer's parameters `p` (in `parameters` order).
    /// Returns the output and what the backward needs.
    func forward<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                  backend: Backend) throws -> (Tensor<T>, LayerRecord<T>)
    /// Backward: the gradient with respect to the input and to each parameter (in order).
    func backward<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                   backend: Backend) throws -> (Tensor<T>, [Tensor<T>])
    /// Backward for a layer whose input needs no gradient (a network's first): the gradient
    /// with respect to each parameter (in order), the same bits as `backward`'s. By default
    /// `backward`'s, its dx dropped; affine and convolution do not compute dx at all.
    func parameterGradients<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                             backend: Backend) throws -> [Tensor<T>]
    /// The part of `flops(…).backward` that `parameterGradients` skips: the input gradient's.
    /// 0 by default (the kinds whose `parameterGradients` runs `backward`).
    func inputGradientFlops(input: [Int], inputElements: Double, outputElements: Double) -> Double
}

extension LayerKind {
    package static var exampleRank: Int? { nil }
    package static var operations: [LayerOperation] { [] }
    package var keepsRunningStatistics: Bool { false }
    package func parameters(input: [Int]) -> [ParameterSpec] { [] }
    package func inputGradientFlops(input: [Int], inputElements: Double, outputElements: Double) -> Double { 0 }

    package func parameterGradients<T: TesselScalar>(_ dout: Tensor<T>, record: LayerRecord<T>, parameters p: [Tensor<T>],
                                                     backend: Backend) throws -> [Tensor<T>] {
        try backward(dout, record: record, parameters: p, backend: backend).1
    }

    /// Whether `other` is this layer: the same kind and hyperparameters.
    func isEqual(to other: any LayerKind) -> Bool {
        (other as? Self) == self
    }
}

/// One learnable tensor of a layer: its role in the name (`w`, `b`, `gamma`, `beta`), shape
/// and initial value.
package struct ParameterSpec: Sendable {
    /// How a parameter starts: CS231n's `weight_scale · randn`, or a constant.
    package enum Initial: Sendable {
        case normal
        case constant(Double)
    }

    package let role: String
    package let shape: [Int]
    package let initial: Initial

    package init(_ role: String, _ shape: [Int], _ initial: Initial) {
        self.role = role
        self.shape = shape
        self.initial = initial
    }

    /// Weights `w` of `shape` (normal) and bias `b` of `units` zeros: affine and convolution.
    package static func weightsAndBias(_ shape: [Int], units: Int) -> [ParameterSpec] {
        [ParameterSpec("w", shape, .normal), ParameterSpec("b", [units], .constant(0))]
    }
}

/// What a layer's forward pass gets besides its input and parameters: the mode, the running
/// statistics (batch norms), and where its dropout mask comes from.
package struct LayerContext<T: TesselScalar> {
    /// Train (batch statistics, fresh masks) or test.
    package var mode: Mode
    /// The layer's running statistics, when `keepsRunningStatistics`; updated in train mode.
    package var statistics: RunningStatistics<T>?
    /// The seed of this layer's dropout mask in this step (already keyed by the layer's index).
    package var seed: UInt64
    /// The index in the whole batch of `x`'s first row (for a shard of a larger batch).
    package var firstRow: Int
}

/// What a layer's backward pass needs from its forward pass: nothing, its input, or the
/// layer's own record (a cache, a mask), which only its kind reads.
package enum LayerRecord<T: TesselScalar>: Sendable {
    /// Nothing, or nothing any more (backward releases each layer's record after use).
    case released
    /// The forward's input x.
    case input(Tensor<T>)
    /// The layer's own record (`BatchNorm.Cache`, a dropout mask, …).
    case state(any Sendable)

    /// The input x the forward saved.
    package func input() -> Tensor<T> {
        guard case let .input(x) = self else { preconditionFailure("the forward pass saved \(self), not its input") }
        return x
    }

    /// The record of type `R` the forward saved.
    package func state<R>(as _: R.Type) -> R {
        guard case let .state(state) = self, let record = state as? R else {
            preconditionFailure("the forward pass saved \(self), not a \(R.self)")
        }
        return record
    }
}
