import Tessel

extension LayerBenchmark {
    /// Convolution forward and backward on x (64, 64, 32, 32), w (64, 64, 3, 3), stride 1,
    /// pad 1 (a ResNet-style layer); rate in GFLOP/s.
    public static let convolution3x3 = convolution(
        name: Convolution.name + "_3x3", x: [64, 64, 32, 32], w: [64, 64, 3, 3], pad: 1,
        smallX: [2, 4, 8, 8], smallW: [4, 4, 3, 3])

    /// Convolution forward and backward on x (128, 3, 32, 32), w (32, 3, 7, 7), stride 1,
    /// pad 3 (a first layer: few input channels, a wide filter); rate in GFLOP/s.
    public static let convolution7x7 = convolution(
        name: Convolution.name + "_7x7", x: [128, 3, 32, 32], w: [32, 3, 7, 7], pad: 3,
        smallX: [2, 3, 8, 8], smallW: [4, 3, 7, 7])

    private static func convolution(name: String, x standardX: [Int], w standardW: [Int], pad: Int,
                                    smallX: [Int], smallW: [Int]) -> LayerBenchmark {
        LayerBenchmark(
            name: name, unit: .gflops,
            parameters: [
                BenchmarkParameter("x", .shape(rank: 4), standard: .shape(standardX), small: .shape(smallX)),
                BenchmarkParameter("w", .shape(rank: 4), standard: .shape(standardW), small: .shape(smallW)),
                BenchmarkParameter("stride", .integer(minimum: 1), standard: .integer(1), small: .integer(1)),
                BenchmarkParameter("pad", .integer(minimum: 0), standard: .integer(pad), small: .integer(pad)),
            ]
        ) { values in
            let parameters = Convolution.Parameters(stride: values.integer("stride"), pad: values.integer("pad"))
            let x = try BenchmarkInputs.uniform(values.shape("x"), seed: 1)
            let w = try BenchmarkInputs.uniform(values.shape("w"), seed: 2)
            let b = try BenchmarkInputs.uniform([values.shape("w")[0]], seed: 3)
            let out = try Convolution.forward(x: x, w: w, b: b, parameters: parameters)
            let dout = try BenchmarkInputs.uniform(out.shape, seed: 4)
            // A multiply-add per output element and filter tap.
            let outputs = Double(out.count), taps = Double(w.count / w.shape[0])
            let bytes = Double(MemoryLayout<Float>.stride)
            let (xCount, wCount, bCount) = (Double(x.count), Double(w.count), Double(b.count))
            return [
                BenchmarkPass(name: "forward", cost: BenchmarkCost(flops: 2 * outputs * taps + outputs, bytes: (xCount + wCount + bCount + outputs) * bytes),
                             outputTensors: 1,
                             outputs: { [try ConvolutionKind.forward(x, w: w, b: b, parameters, backend: $0)] }),
                // dx and dw: each the forward's multiply-adds again; db: a sum over dout.
                BenchmarkPass(name: "backward", cost: BenchmarkCost(flops: 4 * outputs * taps + outputs, bytes: (outputs + 2 * xCount + 2 * wCount + bCount) * bytes),
                             outputTensors: 3,
                             outputs: { try ConvolutionKind.backward(dout, x: x, w: w, b: b, parameters, backend: $0).tensors }),
            ]
        }
    }
}

extension ConvolutionKind: BenchmarkedKind {
    package static var benchmarks: [LayerBenchmark] { [.convolution3x3, .convolution7x7] }
}
