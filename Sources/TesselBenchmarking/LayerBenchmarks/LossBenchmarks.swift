import Tessel

extension LayerBenchmark {
    /// Softmax loss and its gradient (one call) on scores x (4096, 1000); rate in GB/s.
    public static let softmaxLoss = loss(.softmax, flopsPerScore: 5)

    /// Multiclass SVM (hinge) loss and its gradient (one call) on scores x (4096, 1000); rate in GB/s.
    public static let svmLoss = loss(.svm, flopsPerScore: 3)

    /// A loss workload: `flopsPerScore` counts the textbook operations per score (softmax:
    /// max, subtract, exp, sum, divide; SVM: subtract, add the margin, compare).
    private static func loss(_ function: LossFunction, flopsPerScore: Double) -> LayerBenchmark {
        LayerBenchmark(
            name: function.layerName, unit: .gigabytes,
            parameters: [BenchmarkParameter("x", .shape(rank: 2), standard: .shape([4096, 1000]), small: .shape([64, 10]))]
        ) { values in
            let x = try BenchmarkInputs.uniform(values.shape("x"), seed: 1)
            let y = BenchmarkInputs.labels(count: x.shape[0], classes: x.shape[1], seed: 2)
            let scores = Double(x.count)
            // Reads the scores and the labels; writes dx.
            let bytes = 2 * scores * Double(MemoryLayout<Float>.stride) + Double(y.count * MemoryLayout<Int>.stride)
            return [
                BenchmarkPass(name: "loss+gradient", cost: BenchmarkCost(flops: flopsPerScore * scores, bytes: bytes), outputTensors: 2,
                             outputs: {
                                 let result = try function.compute(x: x, y: y, backend: $0)
                                 return [try Tensor(shape: [], scalars: [result.loss]), result.dx]
                             }),
            ]
        }
    }
}

extension LossFunction: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.softmaxLoss, .svmLoss] }
}
