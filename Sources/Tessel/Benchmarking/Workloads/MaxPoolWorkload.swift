extension LayerWorkload {
    /// Max pooling forward and backward on x (64, 64, 32, 32) with 2×2 windows, stride 2;
    /// rate in GB/s.
    public static let maxPool = LayerWorkload(
        name: MaxPool.name, unit: .gigabytes,
        parameters: poolingParameters
    ) { values in
        let parameters = poolingWindow(values)
        let x = try WorkloadInputs.uniform(values.shape("x"), seed: 1)
        let out = try MaxPool.forward(x: x, parameters: parameters)
        let dout = try WorkloadInputs.uniform(out.shape, seed: 2)
        let inputs = Double(x.count), outputs = Double(out.count), bytes = Double(MemoryLayout<Float>.stride)
        let comparisons = outputs * Double(parameters.poolHeight * parameters.poolWidth - 1)
        return [
            WorkloadPass(name: "forward", cost: WorkloadCost(flops: comparisons, bytes: (inputs + outputs) * bytes), outputTensors: 1,
                         run: { _ = try MaxPoolKind.forward(x, parameters, backend: $0) }),
            // Reads dout and x (to find each window's maximum again); writes dx.
            WorkloadPass(name: "backward", cost: WorkloadCost(flops: comparisons, bytes: (outputs + 2 * inputs) * bytes), outputTensors: 1,
                         run: { _ = try MaxPoolKind.backward(dout, x: x, parameters, backend: $0) }),
        ]
    }
}
