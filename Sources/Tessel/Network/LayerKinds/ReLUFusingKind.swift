/// A layer kind that can run the ReLU after it in its own passes (`FusionPlan`, `FusedReLU`):
/// layer norm and group norm. (Batch norm and spatial batch norm do it through
/// `ShardableNormalization`, the seam of the sharded step they run through.)
package protocol ReLUFusingKind: LayerKind {
    /// `forward`, then the ReLU after the layer: returns the ReLU's output and the layer's own record.
    /// - Throws: as `forward`.
    func forwardApplyingReLU<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], context: inout LayerContext<T>,
                                              backend: Backend) throws -> (Tensor<T>, LayerRecord<T>)

    /// The backward of the ReLU after the layer, whose output was `reluOutput` and whose dout is
    /// `dout`, then the layer's: dx and the parameter gradients, as `backward`'s.
    /// - Throws: as `backward`.
    func backwardThroughReLU<T: TesselScalar>(_ dout: Tensor<T>, reluOutput: Tensor<T>, record: LayerRecord<T>,
                                              parameters p: [Tensor<T>], backend: Backend) throws -> (Tensor<T>, [Tensor<T>])
}
