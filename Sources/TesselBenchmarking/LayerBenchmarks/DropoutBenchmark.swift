import Tessel

extension LayerBenchmark {
    /// Inverted dropout, train mode, forward and backward on x (512, 4096) with keep
    /// probability p = 0.5 and a fixed seed; rate in GB/s.
    public static let dropout = LayerBenchmark(
        name: Dropout.name, unit: .gigabytes,
        parameters: [
            BenchmarkParameter("x", .shape(rank: 2), standard: .shape([512, 4096]), small: .shape([64, 256])),
            BenchmarkParameter("p", .probability, standard: .real(0.5), small: .real(0.5)),
        ]
    ) { values in
        let parameters = Dropout.Parameters(p: values.real("p"), mode: .train, seed: 7)
        let x = try BenchmarkInputs.uniform(values.shape("x"), seed: 1)
        let dout = try BenchmarkInputs.uniform(values.shape("x"), seed: 2)
        let mask = try Dropout.forward(x: x, parameters: parameters).mask
        let elements = Double(x.count), bytes = Double(MemoryLayout<Float>.stride)
        return [
            // Reads x; writes out and the mask. A comparison and a multiply per element.
            BenchmarkPass(name: "forward", cost: BenchmarkCost(flops: 2 * elements, bytes: 3 * elements * bytes), outputTensors: 2,
                         outputs: {
                             let (out, mask) = try DropoutKind.forward(x, parameters, backend: $0)
                             return [out] + (mask.map { [$0] } ?? [])
                         }),
            BenchmarkPass(name: "backward", cost: BenchmarkCost(flops: elements, bytes: 3 * elements * bytes), outputTensors: 1,
                         outputs: { [try DropoutKind.backward(dout, mask: mask, parameters, backend: $0)] }),
        ]
    }
}

extension DropoutKind: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.dropout] }
}
