/// One operation `tessel op` evaluates: a layer's forward and backward, or a loss, on named
/// inputs (CS231n's argument names) with named parameters (the keys of its parameter
/// dictionaries). A layer kind lists its operations (`LayerKind.operations`).
package struct LayerOperation: Sendable {
    /// The name on the command line: CS231n's function stem (`conv`, `batchnorm_alt`).
    package let name: String
    /// Inputs the forward pass needs; `backward` needs these plus `dout` (losses excepted).
    package let forwardInputs: [String]
    /// Inputs that may be given and otherwise take CS231n's defaults.
    package let optionalInputs: [String]
    /// The parameter keys the operation accepts (values are checked by the layer).
    package let parameters: [String]
    /// True for the losses, whose forward already returns the gradient.
    package let isLoss: Bool
    /// Runs the operation.
    package let evaluator: any OperationEvaluator

    package init(name: String, forwardInputs: [String], optionalInputs: [String] = [], parameters: [String] = [],
                 isLoss: Bool = false, evaluator: any OperationEvaluator) {
        self.name = name
        self.forwardInputs = forwardInputs
        self.optionalInputs = optionalInputs
        self.parameters = parameters
        self.isLoss = isLoss
        self.evaluator = evaluator
    }
}

/// Evaluates one operation in the scalar type of the call.
package protocol OperationEvaluator: Sendable {
    /// The named outputs, in the order `tessel op` writes them.
    /// - Throws: the layer's `TesselError`s; the call's, for a missing input or parameter.
    func evaluate<T: TesselScalar>(_ call: OperationCall<T>) throws -> [(name: String, tensor: Tensor<T>)]
}

/// The inputs and parameters of one `tessel op` call, read by name (`TesselOps.OpRunner`
/// provides them from `.npy` files and `--param` pairs).
package protocol OperationArguments {
    /// The input `name` as a tensor of `T`. - Throws: when it is missing or not convertible.
    func tensor<T: TesselScalar>(_ name: String, as _: T.Type) throws -> Tensor<T>
    /// The input `name`, or nil when it was not given.
    func optionalTensor<T: TesselScalar>(_ name: String, as _: T.Type) throws -> Tensor<T>?
    /// The input `name` as class labels.
    func labels(_ name: String) throws -> [Int]
    /// The integer parameter `name`, or `fallback` when absent (required when nil).
    func int(_ name: String, default fallback: Int?) throws -> Int
    /// The number parameter `name`, or `fallback` when absent (required when nil).
    func double(_ name: String, default fallback: Double?) throws -> Double
    /// The `train`/`test` parameter `name` (required).
    func mode(_ name: String) throws -> Mode
    /// The seed parameter `name`, or nil when absent.
    func optionalSeed(_ name: String) throws -> UInt64?
}

/// One evaluation: the direction, the backend and the arguments.
package struct OperationCall<T: TesselScalar> {
    /// True for the backward pass (which also runs the forward it needs).
    package let isBackward: Bool
    /// Tiled kernels or serial references.
    package let backend: Backend
    /// The inputs and parameters.
    package let arguments: any OperationArguments

    package init(isBackward: Bool, backend: Backend, arguments: any OperationArguments) {
        self.isBackward = isBackward
        self.backend = backend
        self.arguments = arguments
    }

    /// The input `name`. - Throws: when it is missing.
    package func tensor(_ name: String) throws -> Tensor<T> { try arguments.tensor(name, as: T.self) }
    /// The input `name`, or nil.
    package func optionalTensor(_ name: String) throws -> Tensor<T>? { try arguments.optionalTensor(name, as: T.self) }
    /// `dout`, the upstream gradient of a backward call.
    package func dout() throws -> Tensor<T> { try tensor("dout") }
}
