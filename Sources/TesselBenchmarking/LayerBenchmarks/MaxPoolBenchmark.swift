import Tessel

extension LayerBenchmark {
    /// Max pooling forward and backward on x (64, 64, 32, 32) with 2×2 windows, stride 2;
    /// rate in GB/s.
    public static let maxPool = LayerBenchmark(
        name: MaxPool.name, unit: .gigabytes,
        parameters: poolingParameters
    ) { values in
        let parameters = poolingWindow(values)
        let x = try BenchmarkInputs.uniform(values.shape("x"), seed: 1)
        let out = try MaxPool.forward(x: x, parameters: parameters)
        let dout = try BenchmarkInputs.uniform(out.shape, seed: 2)
        let inputs = Double(x.count), outputs = Double(out.count), bytes = Double(MemoryLayout<Float>.stride)
        let comparisons = outputs * Double(parameters.poolHeight * parameters.poolWidth - 1)
        return [
            BenchmarkPass(name: "forward", cost: BenchmarkCost(flops: comparisons, bytes: (inputs + outputs) * bytes), outputTensors: 1,
                         outputs: { [try MaxPoolKind.forward(x, parameters, backend: $0)] }),
            // Reads dout and x (to find each window's maximum again); writes dx.
            BenchmarkPass(name: "backward", cost: BenchmarkCost(flops: comparisons, bytes: (outputs + 2 * inputs) * bytes), outputTensors: 1,
                         outputs: { [try MaxPoolKind.backward(dout, x: x, parameters, backend: $0)] }),
        ]
    }
}

extension MaxPoolKind: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.maxPool] }
}
