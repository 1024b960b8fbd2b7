/// A layer kind that can run the ReLU after it, and a dropout after that ReLU, in its own
/// passes (`FusionPlan`, `FusedChain`, `FusedDropout`): layer norm and group norm. (Batch norm
/// and spatial batch norm do it through `ShardableNormalization`, the seam of the sharded step
/// they run through.)
package protocol ReLUFusingKind: LayerKind {
    /// `forward`, then the ReLU after the layer, and with `dropout`, the dropout after that ReLU
    /// written to the dropout's output (`FusedDropout`): returns the ReLU's output and the
    /// layer's own record.
    /// - Throws: as `forward`.
    func forwardApplyingReLU<T: TesselScalar>(_ x: Tensor<T>, parameters p: [Tensor<T>], dropout: FusedDropout<T>?,
                                              context: inout LayerContext<T>, backend: Backend) throws -> (Tensor<T>, LayerRecord<T>)

    /// The backward of the ReLU after the layer (and of a dropout fused after it), `mask`, on
    /// `dout`, the last fused layer's, then the layer's: dx and the parameter gradients, as `backward`'s.
    /// - Throws: as `backward`.
    func backwardThroughReLU<T: TesselScalar>(_ dout: Tensor<T>, mask: ChainMask<T>, record: LayerRecord<T>,
                                              parameters p: [Tensor<T>], backend: Backend) throws -> (Tensor<T>, [Tensor<T>])
}
