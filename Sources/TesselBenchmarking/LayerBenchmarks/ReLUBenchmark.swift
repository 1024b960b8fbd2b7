import Tessel

extension LayerBenchmark {
    /// ReLU forward and backward on x (512, 4096); rate in GB/s.
    public static let relu = LayerBenchmark(
        name: ReLU.name, unit: .gigabytes,
        parameters: [BenchmarkParameter("x", .shape(rank: 2), standard: .shape([512, 4096]), small: .shape([64, 256]))]
    ) { values in
        let x = try BenchmarkInputs.uniform(values.shape("x"), seed: 1)
        let dout = try BenchmarkInputs.uniform(values.shape("x"), seed: 2)
        let elements = Double(x.count), bytes = Double(MemoryLayout<Float>.stride)
        return [
            BenchmarkPass(name: "forward", cost: BenchmarkCost(flops: elements, bytes: 2 * elements * bytes), outputTensors: 1,
                         outputs: { [try ReLUKind.forward(x, backend: $0)] }),
            BenchmarkPass(name: "backward", cost: BenchmarkCost(flops: elements, bytes: 3 * elements * bytes), outputTensors: 1,
                         outputs: { [try ReLUKind.backward(dout, x: x, backend: $0)] }),
        ]
    }
}

extension ReLUKind: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.relu] }
}
