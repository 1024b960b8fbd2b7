/// What the backward of a fused chain (`Network`'s `FusionPlan`) masks the normalization's dout
/// by: the ReLU after the layer, whose output was `reluOutput`, and, when a dropout after that
/// ReLU is fused too, the dropout, whose output was `dropoutOutput` and whose kept elements
/// were scaled by `dropoutScale`. dout is then the last fused layer's. `FusedChain.span` applies it.
package struct ChainMask<T: TesselScalar>: Sendable {
    /// The ReLU's output, shaped like the layer's x.
    let reluOutput: Tensor<T>
    /// The fused dropout's output, shaped like `reluOutput`; nil without a fused dropout.
    let dropoutOutput: Tensor<T>?
    /// The value of a kept element's dropout mask (`Dropout.keptScale`).
    let dropoutScale: T

    /// The mask of a ReLU alone.
    package init(reluOutput: Tensor<T>) {
        self.init(reluOutput: reluOutput, dropoutOutput: nil, dropoutScale: 1)
    }

    /// The mask of a ReLU and the dropout after it, which kept elements with probability `keep`.
    package init(reluOutput: Tensor<T>, dropoutOutput: Tensor<T>?, keep: Double) {
        self.init(reluOutput: reluOutput, dropoutOutput: dropoutOutput, dropoutScale: Dropout.keptScale(keep: keep))
    }

    private init(reluOutput: Tensor<T>, dropoutOutput: Tensor<T>?, dropoutScale: T) {
        self.reluOutput = reluOutput
        self.dropoutOutput = dropoutOutput
        self.dropoutScale = dropoutScale
    }

    /// `dout` masked by this chain's backward, serially over the whole tensor (the reference
    /// paths' form of `apply`).
    /// - Throws: `TesselError.shapeMismatch` (layer `relu`, argument `dout`) when dout is not
    ///   shaped like the ReLU's output; `TesselError.outOfMemory`.
    func applied(to dout: Tensor<T>) throws -> Tensor<T> {
        guard dout.shape == reluOutput.shape else {
            throw TesselError.shapeMismatch(component: ReLU.name, argument: "dout", expected: Shape.describe(reluOutput.shape),
                                            actual: dout.shape)
        }
        var dx = try Tensor<T>.uninitialized(shape: dout.shape)
        let count = dout.count
        Self.withPointers(self) { mask in
            withBaseAddresses(dout) { dout in
                dx.withUnsafeMutableBufferPointer { dx in
                    if let mask, let dx = dx.baseAddress { Self.apply(mask, dout, offset: 0, count: count, into: dx) }
                }
            }
        }
        return dx
    }

    /// The mask's base addresses, valid during `body`.
    struct Pointers {
        let reluOutput: UnsafePointer<T>
        let dropoutOutput: UnsafePointer<T>?
        let dropoutScale: T
    }

    /// `body` with the base addresses of `mask`, or with nil when there is none.
    static func withPointers<R>(_ mask: ChainMask?, _ body: (Pointers?) throws -> R) rethrows -> R {
        guard let mask else { return try body(nil) }
        return try withBaseAddresses(mask.reluOutput) { reluOutput in
            try withOptionalBaseAddress(mask.dropoutOutput) { dropoutOutput in
                try body(Pointers(reluOutput: reluOutput, dropoutOutput: dropoutOutput, dropoutScale: mask.dropoutScale))
            }
        }
    }

    /// The ReLU's backward of the dropout's backward of `dout` (the two layers' element rules,
    /// `Dropout`'s `dout · mask` then `ElementWise.reluBackward`), for `count` elements at
    /// `offset`, into `dx`. The dropout's mask is not stored: where the ReLU's output is
    /// positive, the dropout's output is positive exactly where the element was kept (the scale
    /// is at least 1, and a dropped +∞ gives NaN); elsewhere the ReLU's backward gives 0 whatever
    /// the mask. Without a dropout, the ReLU's backward of `dout`.
    @inline(__always)
    static func apply(_ mask: Pointers, _ dout: UnsafePointer<T>, offset: Int, count: Int, into dx: UnsafeMutablePointer<T>) {
        let dout = dout + offset, reluOutput = mask.reluOutput + offset
        guard let dropoutOutput = mask.dropoutOutput.map({ $0 + offset }) else {
            ElementWise.reluBackward(dout, reluOutput, dx, count: count)
            return
        }
        let scale = mask.dropoutScale
        let scales = SIMD16<T>(repeating: scale)
        var i = 0
        while i + 16 <= count {
            let kept = dropoutOutput.load16(at: i).isGreater(than: SIMD16())
            let m = SIMD16<T>().replacing(with: scales, where: kept)
            dx.store(ElementWise.reluBackward(dout.load16(at: i) * m, output: reluOutput.load16(at: i)), at: i)
            i += 16
        }
        while i < count {
            let m: T = dropoutOutput[i] > 0 ? scale : 0
            dx[i] = ElementWise.reluBackward(dout[i] * m, output: reluOutput[i])
            i += 1
        }
    }
}
