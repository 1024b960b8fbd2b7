/// A ReLU fused after a normalization (see `Network`'s `FusionPlan`): its forward runs on each
/// span of the normalization's output pass as soon as the span is written, its backward on each
/// span of dout right before the normalization's backward sums that span, from cache. Both use
/// the ReLU layer's own element operations (`ElementWise.relu`, `ElementWise.reluBackward`),
/// which depend on the element alone, so the bits are those of the ReLU layer run on its own.
enum FusedReLU {
    /// The dout a normalization's gradient passes read: `dout` itself without a fused ReLU; with
    /// one (`reluOutput`, the ReLU's output, x's shape), a new tensor that `body` fills span by
    /// span with the ReLU's backward of `dout`. `body(reluOutput, masked)` gets both pointers
    /// or neither.
    static func dout<T: TesselScalar>(_ dout: Tensor<T>, reluOutput: Tensor<T>?, scheduler: Scheduler,
                                      _ body: (UnsafePointer<T>?, UnsafeMutablePointer<T>?) -> Void) throws -> Tensor<T> {
        guard let reluOutput else {
            body(nil, nil)
            return dout
        }
        var masked = try Tensor<T>.uninitialized(shape: dout.shape, allocator: scheduler.allocator)
        reluOutput.withUnsafeBufferPointer { relu in
            masked.withUnsafeMutableBufferPointer { masked in body(relu.baseAddress!, masked.baseAddress!) }
        }
        return masked
    }

    /// Runs `body(mask)` where `mask` is nil without `reluOutput`; with it, `mask` masks spans
    /// of `dout` (`ElementWise.reluBackward` into a buffer of dout's shape that lives until
    /// `body` returns) and `mask.dout` is that buffer, which the passes then read as their dout.
    static func withMask<T: TesselScalar, R>(_ dout: Tensor<T>, reluOutput: Tensor<T>?, scheduler: Scheduler,
                                             _ body: (Mask<T>?) throws -> R) throws -> R {
        guard let reluOutput else { return try body(nil) }
        var masked = try Tensor<T>.uninitialized(shape: dout.shape, allocator: scheduler.allocator)
        return try withBaseAddresses(dout, reluOutput) { dout, relu in
            try masked.withUnsafeMutableBufferPointer { masked in
                try body(Mask(source: dout, reluOutput: relu, masked: masked.baseAddress!))
            }
        }
    }

    /// Where a fused ReLU's backward reads and writes: `apply(offset, count)` writes the masked
    /// dout of that span into `dout`.
    struct Mask<T: TesselScalar> {
        let source: UnsafePointer<T>, reluOutput: UnsafePointer<T>, masked: UnsafeMutablePointer<T>

        init(source: UnsafePointer<T>, reluOutput: UnsafePointer<T>, masked: UnsafeMutablePointer<T>) {
            (self.source, self.reluOutput, self.masked) = (source, reluOutput, masked)
        }

        /// The masked dout, which the normalization's passes read.
        var dout: UnsafePointer<T> { UnsafePointer(masked) }

        /// The ReLU's backward of the `count` values from `offset`.
        @inline(__always)
        func apply(_ offset: Int, count: Int) {
            ElementWise.reluBackward(source + offset, reluOutput + offset, masked + offset, count: count)
        }
    }
}
