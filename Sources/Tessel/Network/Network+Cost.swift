extension Network {
    /// Floating-point operations of layer `index` on a batch of `batch` examples, for reporting
    /// GFLOP/s. A multiply-add counts 2. Matrix layers: affine forward 2·N·D·M, backward
    /// 4·N·D·M + N·M; convolution forward 2·N·F·C·k²·H'·W' (+ the bias), backward twice
    /// that. Element-wise and normalization layers are counted per element touched: ReLU 1
    /// each way, dropout 1 each way, max pooling k² comparisons per output each way, the norms
    /// 8 forward (moments, normalize, scale and shift) and 12 backward. The first layer's
    /// backward in a step computes no input gradient, so its count leaves that part out
    /// (affine's 2·N·D·M, convolution's half).
    public func flops(layer index: Int, batch: Int) -> (forward: Double, backward: Double) {
        let n = Double(batch)
        let input = index == 0 ? definition.input : shapes[index - 1], output = shapes[index]
        let inputElements = n * Double(input.reduce(1, *)), outputElements = n * Double(output.reduce(1, *))
        let kind = definition.layers[index].kind
        let flops = kind.flops(input: input, inputElements: inputElements, outputElements: outputElements)
        guard !computesInputGradient(layer: index) else { return flops }
        return (flops.forward, flops.backward - kind.inputGradientFlops(input: input, inputElements: inputElements, outputElements: outputElements))
    }

    /// Whether a training step computes the gradient with respect to layer `index`'s input:
    /// for every layer but the first, whose input is the batch, which needs none (it computes
    /// its parameter gradients alone, `LayerKind.parameterGradients`) unless the step is traced.
    func computesInputGradient(layer index: Int, tracing: Bool = false) -> Bool { index > 0 || tracing }

    /// The output shape of layer `index` for one example.
    public func outputShape(layer index: Int) -> [Int] { shapes[index] }
}
