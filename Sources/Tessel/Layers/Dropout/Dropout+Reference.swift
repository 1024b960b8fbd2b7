extension Dropout {
    /// The serial reference: plain loops that read like CS231n's layers.py, drawing `u[i]` from the same
    /// Philox stream as the tiled kernel, so the masks are identical. The oracle for the tiled kernel.
    public enum Reference {
        /// Train: `mask[i] = (u[i] < p) / p`, `out = x * mask`; test: `out = x`, mask nil.
        /// - Throws: `TesselError.invalidParameter` when `p` is NaN or outside (0, 1].
        public static func forward<T: TesselScalar>(x: Tensor<T>, parameters: Parameters) throws -> (out: Tensor<T>, mask: Tensor<T>?) {
            try validate(parameters)
            guard parameters.mode == .train else { return (x, nil) }
            let generator = Philox(seed: resolvedSeed(parameters))
            var mask = try Tensor<T>(shape: x.shape), out = try Tensor<T>(shape: x.shape)
            for i in 0..<x.count {
                mask[flat: i] = generator.uniform(at: UInt64(i)) < parameters.p ? T(1 / parameters.p) : 0
                out[flat: i] = x[flat: i] * mask[flat: i]
            }
            return (out, mask)
        }

        /// Train: `dx = dout * mask`; test: `dx = dout`.
        /// - Throws: as `Dropout.backward`.
        public static func backward<T: TesselScalar>(dout: Tensor<T>, mask: Tensor<T>?, parameters: Parameters) throws -> Tensor<T> {
            guard let mask = try validateBackward(dout: dout, mask: mask, parameters: parameters) else { return dout }
            var dx = try Tensor<T>(shape: dout.shape)
            for i in 0..<dout.count {
                dx[flat: i] = dout[flat: i] * mask[flat: i]
            }
            return dx
        }
    }
}
