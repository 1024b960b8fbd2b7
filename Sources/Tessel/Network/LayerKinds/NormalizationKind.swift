/// A normalization layer kind (`batchnorm`, `spatial_batchnorm`, `layernorm`, `groupnorm`):
/// learnable γ (ones) and β (zeros), one per feature or channel of its input.
package protocol NormalizationKind: LayerKind {}

extension NormalizationKind {
    package func parameters(input: [Int]) -> [ParameterSpec] {
        [ParameterSpec("gamma", [input[0]], .constant(1)), ParameterSpec("beta", [input[0]], .constant(0))]
    }

    /// 8 per element forward (moments, normalize, scale and shift), 12 backward.
    package func flops(input: [Int], inputElements: Double, outputElements: Double) -> (forward: Double, backward: Double) {
        (8 * inputElements, 12 * inputElements)
    }
}
