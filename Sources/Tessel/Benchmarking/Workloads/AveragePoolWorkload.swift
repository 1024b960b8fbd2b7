extension LayerWorkload {
    /// Average pooling forward and backward on x (64, 64, 32, 32) with 2×2 windows, stride 2;
    /// rate in GB/s.
    public static let averagePool = LayerWorkload(
        name: AveragePool.name, unit: .gigabytes,
        parameters: poolingParameters
    ) { values in
        let parameters = poolingWindow(values)
        let x = try WorkloadInputs.uniform(values.shape("x"), seed: 1)
        let out = try AveragePool.forward(x: x, parameters: parameters)
        let dout = try WorkloadInputs.uniform(out.shape, seed: 2)
        let inputs = Double(x.count), outputs = Double(out.count), bytes = Double(MemoryLayout<Float>.stride)
        let additions = outputs * Double(parameters.poolHeight * parameters.poolWidth)
        return [
            WorkloadPass(name: "forward", cost: WorkloadCost(flops: additions, bytes: (inputs + outputs) * bytes), outputTensors: 1,
                         run: { _ = try AveragePoolKind.forward(x, parameters, backend: $0) }),
            // Reads dout; writes dx (x is not read).
            WorkloadPass(name: "backward", cost: WorkloadCost(flops: additions, bytes: (outputs + inputs) * bytes), outputTensors: 1,
                         run: { _ = try AveragePoolKind.backward(dout, inputShape: x.shape, parameters, backend: $0) }),
        ]
    }
}
