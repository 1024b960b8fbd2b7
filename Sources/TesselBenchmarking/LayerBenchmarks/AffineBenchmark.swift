import Tessel

extension LayerBenchmark {
    /// Affine forward and backward on x (512, 3072), w (3072, 1024); rate in GFLOP/s.
    public static let affine = LayerBenchmark(
        name: Affine.name, unit: .gflops,
        parameters: [
            BenchmarkParameter("x", .shape(rank: 2), standard: .shape([512, 3072]), small: .shape([16, 64])),
            BenchmarkParameter("w", .shape(rank: 2), standard: .shape([3072, 1024]), small: .shape([64, 32])),
        ]
    ) { values in
        let x = try BenchmarkInputs.uniform(values.shape("x"), seed: 1)
        let w = try BenchmarkInputs.uniform(values.shape("w"), seed: 2)
        let b = try BenchmarkInputs.uniform([values.shape("w")[1]], seed: 3)
        let out = try Affine.forward(x: x, w: w, b: b)
        let dout = try BenchmarkInputs.uniform(out.shape, seed: 4)
        let (n, d, m) = (Double(x.shape[0]), Double(x.shape[1]), Double(w.shape[1]))
        let bytes = Double(MemoryLayout<Float>.stride)
        return [
            // out = x·w + b: a multiply-add per (row, input, output), a bias add per output.
            BenchmarkPass(name: "forward", cost: BenchmarkCost(flops: 2 * n * d * m + n * m, bytes: (n * d + d * m + m + n * m) * bytes),
                         outputTensors: 1,
                         outputs: { [try AffineKind.forward(x, w: w, b: b, backend: $0)] }),
            // dx = dout·wᵀ and dw = xᵀ·dout (two products of the forward's size), db = column sums of dout.
            BenchmarkPass(name: "backward", cost: BenchmarkCost(flops: 4 * n * d * m + n * m, bytes: 2 * (n * d + d * m + n * m) * bytes + m * bytes),
                         outputTensors: 3,
                         outputs: { try AffineKind.backward(dout, x: x, w: w, b: b, backend: $0).tensors }),
        ]
    }
}

extension AffineKind: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.affine] }
}
