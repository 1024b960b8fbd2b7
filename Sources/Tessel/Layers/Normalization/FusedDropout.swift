/// A dropout fused after a normalization → ReLU chain (`Network`'s `FusionPlan`): the
/// normalization's output sweep writes the ReLU's output, and right after each span, while it
/// is in cache, the dropout's output of that span to `output`. The element rule and the mask
/// are `Dropout`'s (`Dropout.applyMask`, element `i` kept where the generator's word at
/// `firstIndex + i` says so), so the bits are those of the dropout layer run on its own; the
/// mask itself is not stored (`ChainMask` recovers it in the backward).
package struct FusedDropout<T: TesselScalar> {
    let generator: Philox
    let threshold: UInt32
    /// The value of a kept element's mask (`Dropout.keptScale`).
    let scale: T
    /// The generator index of the tensor's element 0 (a shard's first row · its elements per row).
    let firstIndex: Int
    /// Where the dropout's output goes, shaped like the normalization's output.
    let output: UnsafeMutablePointer<T>

    /// The dropout keeping each element with probability `keep` (CS231n's `p`, in (0, 1]) with
    /// the mask of `seed`, for a tensor whose element 0 is element `firstIndex` of the batch's,
    /// writing to `output`.
    init(keep: Double, seed: UInt64, firstIndex: Int, output: UnsafeMutablePointer<T>) {
        generator = Philox(seed: seed)
        threshold = Philox.threshold(below: keep)
        scale = Dropout.keptScale(keep: keep)
        self.firstIndex = firstIndex
        self.output = output
    }

    /// `apply` over every element of `reluOutput` (the reference paths' form, shaped like `output`).
    func apply(toWhole reluOutput: Tensor<T>) {
        withBaseAddresses(reluOutput) { apply($0, offset: 0, count: reluOutput.count) }
    }

    /// `output[i] = reluOutput[i] · mask[i]` for `i` in `offset ..< offset + count`.
    @inline(__always)
    func apply(_ reluOutput: UnsafePointer<T>, offset: Int, count: Int) {
        Dropout.applyMask(reluOutput, output, nil, range: offset..<(offset + count), firstIndex: firstIndex, generator: generator,
                          threshold: threshold, scale: scale)
    }
}
