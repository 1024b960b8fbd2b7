import Tessel
import TesselOps

/// Runs every `GoldenLayerCase` in both directions and both scalar types through the tiled
/// kernels and names each output's SHA-256, the lines of `golden/layers.sha256`.
///
/// Inputs are seeded: element `i` of an input comes from word `i` of a `Philox` stream keyed
/// by the case and input name, so they are the same bits on every machine. The digest is that
/// of the output's `.npy` encoding, the bytes `tessel op` writes for it.
public enum GoldenLayers {
    /// `case/dtype/direction/output.npy` → SHA-256 of that output's `.npy` bytes, for every
    /// case of `cases`, Float32 and Float64, forward and backward (the losses: forward, which
    /// returns the loss and dx).
    /// - Throws: a layer's `TesselError` (a case the layers reject is a defect of the list).
    public static func digests(cases: [GoldenLayerCase] = GoldenLayerCase.all, scheduler: Scheduler) throws -> [String: String] {
        var digests: [String: String] = [:]
        for goldenCase in cases {
            for (dtype, outputs) in [("float32", try outputs(of: goldenCase, as: Float.self, scheduler: scheduler)),
                                     ("float64", try outputs(of: goldenCase, as: Double.self, scheduler: scheduler))] {
                for (key, bytes) in outputs { digests[goldenCase.name + "/" + dtype + "/" + key] = SHA256.hexDigest(bytes) }
            }
        }
        return digests
    }

    /// The seeded inputs of `goldenCase` by CS231n's argument names, as float64 arrays (a
    /// layer run in Float32 rounds them to nearest), labels `y` for the losses, and for the
    /// other layers the upstream gradient `dout`, shaped as the forward output.
    /// - Throws: a layer's `TesselError` from the forward pass that gives `dout`'s shape.
    public static func inputs(of goldenCase: GoldenLayerCase) throws -> [String: NPYArray] {
        var inputs: [String: NPYArray] = [:]
        for input in goldenCase.inputs {
            inputs[input.name] = try array(shape: input.shape, seed: seed(goldenCase.name, input.name), positive: isPositive(input.name))
        }
        if let classes = goldenCase.classes, let rows = goldenCase.inputs.first(where: { $0.name == "x" })?.shape.first {
            let generator = Philox(seed: seed(goldenCase.name, "y"))
            inputs["y"] = .int64(shape: [rows], values: (0..<rows).map { Int64((UInt64(generator.bits(at: UInt64($0))) &* UInt64(classes)) >> 32) })
        }
        guard !goldenCase.layer.isLoss else { return inputs }
        let forward = try OpRunner<Double>(layer: goldenCase.layer, direction: .forward,
                                           parameters: try OpParameters(goldenCase.parameters, layer: goldenCase.layer),
                                           inputs: inputs, backend: .tiled(.serial)).run()
        if let out = forward.first(where: { $0.name == "out" }) {
            inputs["dout"] = try array(shape: out.tensor.shape, seed: seed(goldenCase.name, "dout"), positive: false)
        }
        return inputs
    }

    /// `direction/output.npy` → `.npy` bytes of each output of `goldenCase` in `T`.
    static func outputs<T: TesselScalar>(of goldenCase: GoldenLayerCase, as _: T.Type,
                                         scheduler: Scheduler) throws -> [(String, [UInt8])] {
        let inputs = try inputs(of: goldenCase)
        let parameters = try OpParameters(goldenCase.parameters, layer: goldenCase.layer)
        var outputs: [(String, [UInt8])] = []
        for direction in goldenCase.layer.isLoss ? [OpDirection.forward] : [.forward, .backward] {
            let results = try OpRunner<T>(layer: goldenCase.layer, direction: direction, parameters: parameters, inputs: inputs,
                                          backend: .tiled(scheduler)).run()
            outputs += results.map { (direction.rawValue + "/" + $0.name + ".npy", NPY.encode($0.tensor)) }
        }
        return outputs
    }

    /// Scales and variances must be positive: they are drawn from [0.5, 1.5); the rest from [-1, 1).
    private static func isPositive(_ input: String) -> Bool { input == "gamma" || input == "running_var" }

    /// A tensor of `shape` whose element `i` is `2u − 1` (or `u + 0.5` when `positive`), `u`
    /// being word `i` of the Philox stream `seed` as a uniform number in [0, 1).
    private static func array(shape: [Int], seed: UInt64, positive: Bool) throws -> NPYArray {
        let generator = Philox(seed: seed)
        let count = shape.reduce(1, *)
        let values = (0..<count).map { index -> Double in
            let u = generator.uniform(at: UInt64(index))
            return positive ? u + 0.5 : 2 * u - 1
        }
        return .float64(try Tensor<Double>(shape: shape, scalars: values))
    }

    /// The stream of one input of one case: FNV-1a (64-bit) over `case/input`.
    private static func seed(_ caseName: String, _ input: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (caseName + "/" + input).utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
