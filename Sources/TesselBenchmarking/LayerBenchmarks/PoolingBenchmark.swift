import Tessel

extension LayerBenchmark {
    /// The settings of a pooling workload: x (64, 64, 32, 32) with 2×2 windows, stride 2
    /// (small preset: x (2, 4, 8, 8)).
    static let poolingParameters = [
        BenchmarkParameter("x", .shape(rank: 4), standard: .shape([64, 64, 32, 32]), small: .shape([2, 4, 8, 8])),
        BenchmarkParameter("poolHeight", .integer(minimum: 1), standard: .integer(2), small: .integer(2)),
        BenchmarkParameter("poolWidth", .integer(minimum: 1), standard: .integer(2), small: .integer(2)),
        BenchmarkParameter("stride", .integer(minimum: 1), standard: .integer(2), small: .integer(2)),
    ]

    /// The window of a pooling workload's `values`.
    static func poolingWindow(_ values: BenchmarkValues) -> PoolingWindow {
        PoolingWindow(poolHeight: values.integer("poolHeight"), poolWidth: values.integer("poolWidth"), stride: values.integer("stride"))
    }

    /// The forward and backward workload of the pooling layer of `Kind`, named as the layer,
    /// on `poolingParameters`; rate in GB/s. Each output costs `operationsPerOutput(window)`
    /// flops each way. The forward reads x and writes out; the backward reads dout and writes
    /// dx, and reads x again when `backwardReadsInput`.
    static func pooling<Kind: PoolingKind>(_: Kind.Type, operationsPerOutput: @escaping @Sendable (PoolingWindow) -> Int,
                                           backwardReadsInput: Bool) -> LayerBenchmark {
        LayerBenchmark(name: Kind.typeName, unit: .gigabytes, parameters: poolingParameters) { values in
            let window = poolingWindow(values)
            let x = try BenchmarkInputs.uniform(values.shape("x"), seed: 1)
            let out = try Kind.forward(x, window, backend: .tiled(.default))
            let dout = try BenchmarkInputs.uniform(out.shape, seed: 2)
            let saved = Kind.saved(x)
            let inputs = Double(x.count), outputs = Double(out.count), bytes = Double(MemoryLayout<Float>.stride)
            let flops = outputs * Double(operationsPerOutput(window))
            let backwardBytes = (outputs + (backwardReadsInput ? 2 : 1) * inputs) * bytes
            return [
                BenchmarkPass(name: "forward", cost: BenchmarkCost(flops: flops, bytes: (inputs + outputs) * bytes), outputTensors: 1,
                             outputs: { [try Kind.forward(x, window, backend: $0)] }),
                BenchmarkPass(name: "backward", cost: BenchmarkCost(flops: flops, bytes: backwardBytes), outputTensors: 1,
                             outputs: { [try Kind.backward(dout, saved: saved, window, backend: $0)] }),
            ]
        }
    }
}
