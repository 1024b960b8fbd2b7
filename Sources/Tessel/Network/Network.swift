/// A stack of Tessel layers with their parameters and a loss: CS231n's `FullyConnectedNet` /
/// `ThreeLayerConvNet`, for any sequence of layers that `NetworkDefinition` accepts.
///
/// Parameters are initialised as in CS231n: weights `weightScale · randn(…)` (affine (D, M),
/// convolution (F, C, size, size)), biases 0, `gamma` 1, `beta` 0; the normal numbers come
/// from a counter-based generator keyed by the seed and the parameter's position, so a
/// network is the same bits on every machine. Parameter names are `<layer>.<role>`, where a
/// layer is named by its config type and index (`conv0.w`, `spatial_batchnorm1.gamma`,
/// `affine4.b`); the batch norms also keep running statistics.
///
/// `step` runs forward and backward over a batch and returns the loss and every parameter's
/// gradient; `scores` runs a test-mode forward pass; `check` compares every layer's tiled
/// kernels with its serial reference on one batch.
public struct Network<T: TesselScalar>: Sendable {
    /// One learnable tensor and its name.
    public struct Parameter: Sendable {
        /// `<layer>.<role>`: role `w`, `b` (affine, convolution) or `gamma`, `beta` (norms).
        public let name: String
        /// The current value.
        public var value: Tensor<T>
    }

    /// The layers, the input shape and the loss.
    public let definition: NetworkDefinition
    /// Each layer's name: its config type followed by its index (`conv0`, `relu2`).
    public let layerNames: [String]
    /// The learnable tensors, in layer order (weights before biases, gamma before beta).
    public var parameters: [Parameter]
    /// Running mean and variance of each batch-norm layer, by layer index (nil for other layers).
    public var runningStatistics: [RunningStatistics<T>?]
    /// The seed of the initial weights and of the dropout masks.
    public let seed: UInt64
    /// Training steps taken so far; with `seed`, it keys the dropout masks of the next step,
    /// so that a resumed training run draws the masks the uninterrupted one would.
    public var stepCount: Int
    /// Whether a training step runs a normalization and the ReLU after it (and a max pool or a
    /// dropout after that) as one fused chain (`FusionPlan`; the same bits either way). On by
    /// default; `RuntimeSettings.fusion`.
    public var fusesChains = true

    /// Output shape of one example after each layer.
    let shapes: [[Int]]
    /// Where each layer's parameters start in `parameters`, by layer index.
    let parameterOffsets: [Int]

    /// A network for `definition` with freshly initialised parameters.
    /// - Throws: `TesselError.invalidParameter` when the layers do not fit together (see
    ///   `NetworkDefinition.shapes()`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public init(_ definition: NetworkDefinition, seed: UInt64 = 0) throws {
        try self.init(definition, seed: seed, values: nil)
    }

    /// A network for `definition` whose parameter `k` is `values(k)` (shaped as the layer
    /// needs), or freshly initialised when `values` is nil.
    init(_ definition: NetworkDefinition, seed: UInt64, values: ((Int) throws -> Tensor<T>)?) throws {
        let shapes = try definition.shapes()
        self.definition = definition
        self.shapes = shapes
        self.seed = seed
        self.stepCount = 0
        layerNames = definition.layers.enumerated().map { "\($1.typeName)\($0)" }
        var parameters: [Parameter] = [], offsets: [Int] = [], statistics: [RunningStatistics<T>?] = []
        for (index, layer) in definition.layers.enumerated() {
            offsets.append(parameters.count)
            let input = index == 0 ? definition.input : shapes[index - 1]
            for parameter in layer.kind.parameters(input: input) {
                let name = layerNames[index] + "." + parameter.role
                let value: Tensor<T> = switch (parameter.initial, values) {
                case let (_, values?): try values(parameters.count)
                case (.normal, nil): try RandomTensor.normal(shape: parameter.shape, scale: definition.weightScale,
                                                             seed: RandomTensor.seed(seed, stream: UInt64(parameters.count)))
                case let (.constant(c), nil): try Tensor(shape: parameter.shape, repeating: T(c))
                }
                parameters.append(Parameter(name: name, value: value))
            }
            statistics.append(layer.kind.keepsRunningStatistics ? try RunningStatistics<T>(features: input[0]) : nil)
        }
        offsets.append(parameters.count)
        self.parameters = parameters
        self.parameterOffsets = offsets
        self.runningStatistics = statistics
    }

    /// A network with the layers and loss of `workload` and its seed.
    /// - Throws: as `init(_:seed:)`.
    public init(_ workload: Workload) throws {
        try self.init(workload.network, seed: workload.seed)
    }

    /// The number of classes the loss expects (the width of the last layer).
    public var classes: Int { shapes.last![0] }

    /// The parameter named `name`, or nil.
    public func parameter(named name: String) -> Tensor<T>? {
        parameters.first { $0.name == name }?.value
    }
}
