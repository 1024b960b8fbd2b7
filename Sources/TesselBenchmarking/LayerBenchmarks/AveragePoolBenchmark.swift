import Tessel

extension LayerBenchmark {
    /// Average pooling forward and backward on x (64, 64, 32, 32) with 2×2 windows, stride 2;
    /// rate in GB/s.
    public static let averagePool = LayerBenchmark(
        name: AveragePool.name, unit: .gigabytes,
        parameters: poolingParameters
    ) { values in
        let parameters = poolingWindow(values)
        let x = try BenchmarkInputs.uniform(values.shape("x"), seed: 1)
        let out = try AveragePool.forward(x: x, parameters: parameters)
        let dout = try BenchmarkInputs.uniform(out.shape, seed: 2)
        let inputs = Double(x.count), outputs = Double(out.count), bytes = Double(MemoryLayout<Float>.stride)
        let additions = outputs * Double(parameters.poolHeight * parameters.poolWidth)
        return [
            BenchmarkPass(name: "forward", cost: BenchmarkCost(flops: additions, bytes: (inputs + outputs) * bytes), outputTensors: 1,
                         outputs: { [try AveragePoolKind.forward(x, parameters, backend: $0)] }),
            // Reads dout; writes dx (x is not read).
            BenchmarkPass(name: "backward", cost: BenchmarkCost(flops: additions, bytes: (outputs + inputs) * bytes), outputTensors: 1,
                         outputs: { [try AveragePoolKind.backward(dout, inputShape: x.shape, parameters, backend: $0)] }),
        ]
    }
}

extension AveragePoolKind: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.averagePool] }
}
