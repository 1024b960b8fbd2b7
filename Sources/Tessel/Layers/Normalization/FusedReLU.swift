/// A ReLU fused after a batch normalization (see `Network`'s `FusionPlan`): its forward runs on
/// each span of the normalization's output pass as soon as the span is written, its backward on
/// each span of dout in the normalization's first backward pass, which sums the masked dout from
/// cache. Both use the ReLU layer's own element operations (`ElementWise.relu`,
/// `ElementWise.reluBackward`), which depend on the element alone, so the bits are those of the
/// ReLU layer run on its own.
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
}
