extension ReLU {
    /// The serial reference: plain loops that read like CS231n's layers.py. The oracle for the tiled kernel.
    public enum Reference {
        /// `out[i] = max(0, x[i])`, NaN propagating: only `x[i] ≤ 0` becomes 0.
        public static func forward<T: TesselScalar>(_ x: Tensor<T>) throws -> Tensor<T> {
            var out = try Tensor<T>(shape: x.shape)
            for i in 0..<x.count {
                out[flat: i] = x[flat: i] <= 0 ? 0 : x[flat: i]
            }
            return out
        }

        /// `dx[i] = dout[i]` where `x[i] > 0`, else 0.
        /// - Throws: `TesselError.shapeMismatch` when `dout` and `x` differ in shape.
        public static func backward<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>) throws -> Tensor<T> {
            try validateBackward(dout: dout, x: x)
            var dx = try Tensor<T>(shape: x.shape)
            for i in 0..<x.count {
                dx[flat: i] = x[flat: i] > 0 ? dout[flat: i] : 0
            }
            return dx
        }
    }
}
