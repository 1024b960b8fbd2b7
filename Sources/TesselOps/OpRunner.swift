import Tessel

/// Evaluates one layer in one direction on loaded inputs, in the scalar type `T`, on a
/// backend: the tiled kernels on a scheduler, or the serial references. The layer's operation
/// (`OpLayer`) comes from its kind's file (`Network/LayerKinds/`).
public struct OpRunner<T: TesselScalar> {
    public let layer: OpLayer
    public let direction: OpDirection
    public let parameters: OpParameters
    public let inputs: [String: NPYArray]
    /// The file each input was read from, by input name, for error messages.
    public let paths: [String: String]
    /// Tiled kernels or serial references.
    public let backend: Backend

    /// A runner of `layer` in `direction` over `inputs` (by CS231n's argument names);
    /// `paths` names each input's file in errors.
    public init(layer: OpLayer, direction: OpDirection, parameters: OpParameters, inputs: [String: NPYArray],
                paths: [String: String] = [:], backend: Backend) {
        self.layer = layer
        self.direction = direction
        self.parameters = parameters
        self.inputs = inputs
        self.paths = paths
        self.backend = backend
    }

    /// Runs the layer.
    /// - Returns: its named outputs in the order `tessel op` writes them.
    /// - Throws: the layer's `TesselError`s; `invalidParameter` for a missing input or parameter.
    public func run() throws -> [(name: String, tensor: Tensor<T>)] {
        let call = OperationCall<T>(isBackward: direction == .backward, backend: backend,
                                    arguments: Arguments(layer: layer, parameters: parameters, inputs: inputs, paths: paths))
        return try layer.operation.evaluator.evaluate(call)
    }
}

/// The `--in` arrays and `--param` values of one call, as the layer kinds read them.
private struct Arguments: OperationArguments {
    let layer: OpLayer
    let parameters: OpParameters
    let inputs: [String: NPYArray]
    let paths: [String: String]

    func tensor<U: TesselScalar>(_ name: String, as _: U.Type) throws -> Tensor<U> {
        guard let array = inputs[name] else {
            throw TesselError.invalidParameter(component: layer.rawValue, parameter: "--in \(name)", value: "(missing)", reason: "required input")
        }
        return try converted(array, name: name)
    }

    func optionalTensor<U: TesselScalar>(_ name: String, as _: U.Type) throws -> Tensor<U>? {
        try inputs[name].map { try converted($0, name: name) }
    }

    /// The input as a tensor of `U`; NaN and ±∞ (also from a float64 value too large for
    /// float32) are refused, naming the file, since the layers would only pass them through.
    private func converted<U: TesselScalar>(_ array: NPYArray, name: String) throws -> Tensor<U> {
        let source = paths[name] ?? name
        let tensor = try array.tensor(as: U.self, source: source)
        if let problem = tensor.nonFiniteDescription() {
            throw TesselError.npy(path: source, reason: "\(problem) as \(U.dtype): input '\(name)' must be finite")
        }
        return tensor
    }

    func labels(_ name: String) throws -> [Int] {
        guard let array = inputs[name] else {
            throw TesselError.invalidParameter(component: layer.rawValue, parameter: "--in \(name)", value: "(missing)", reason: "required input")
        }
        return try array.labels(source: paths[name] ?? name)
    }

    func int(_ name: String, default fallback: Int?) throws -> Int { try parameters.int(name, default: fallback) }
    func double(_ name: String, default fallback: Double?) throws -> Double { try parameters.double(name, default: fallback) }
    func mode(_ name: String) throws -> Mode { try parameters.mode(name) }
    func optionalSeed(_ name: String) throws -> UInt64? { try parameters.optionalSeed(name) }
}
