extension Affine {
    /// The serial reference: plain loops that read like CS231n's layers.py, over row-major element
    /// arrays (`x` read as `(N, D)`). The oracle for the tiled kernels.
    public enum Reference {
        /// `out[n, m] = Σ_d x[n, d] · w[d, m] + b[m]`.
        /// - Throws: as `Affine.forward`.
        public static func forward<T: TesselScalar>(x: Tensor<T>, w: Tensor<T>, b: Tensor<T>) throws -> Tensor<T> {
            let (n, d, m) = try validate(x: x, w: w, b: b)
            let xs = x.scalars, ws = w.scalars, bs = b.scalars
            var out = [T](repeating: 0, count: n * m)
            for i in 0..<n {
                for j in 0..<m {
                    var sum: T = 0
                    for k in 0..<d { sum += xs[i * d + k] * ws[k * m + j] }
                    out[i * m + j] = sum + bs[j]
                }
            }
            return try Tensor(shape: [n, m], scalars: out)
        }

        /// `dx = dout · wᵀ` (shaped like `x`), `dw = xᵀ · dout`, `db = Σₙ dout[n, :]` (summed in Double).
        /// - Throws: as `Affine.backward`.
        public static func backward<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>) throws -> WeightGradients<T> {
            let g = try gradients(dout: dout, x: x, w: w, b: b, withInputGradient: true)
            return WeightGradients(dx: g.dx!, dw: g.dw, db: g.db)
        }

        /// `dw` and `db` as `backward` computes them, without `dx`.
        /// - Throws: as `Affine.backward`.
        public static func parameterGradients<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>) throws -> ParameterGradients<T> {
            let g = try gradients(dout: dout, x: x, w: w, b: b, withInputGradient: false)
            return ParameterGradients(dw: g.dw, db: g.db)
        }

        /// `dw`, `db`, and `dx` when `withInputGradient` (else nil).
        static func gradients<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                               withInputGradient: Bool) throws -> (dx: Tensor<T>?, dw: Tensor<T>, db: Tensor<T>) {
            let (n, d, m) = try validateBackward(dout: dout, x: x, w: w, b: b)
            let xs = x.scalars, ws = w.scalars, gs = dout.scalars
            var dx: Tensor<T>? = nil
            if withInputGradient {
                var scalars = [T](repeating: 0, count: n * d)
                for i in 0..<n {
                    for k in 0..<d {
                        var sum: T = 0
                        for j in 0..<m { sum += gs[i * m + j] * ws[k * m + j] }
                        scalars[i * d + k] = sum
                    }
                }
                dx = try Tensor(shape: x.shape, scalars: scalars)
            }
            var dw = [T](repeating: 0, count: d * m)
            var db = [T](repeating: 0, count: m)
            for k in 0..<d {
                for j in 0..<m {
                    var sum: T = 0
                    for i in 0..<n { sum += xs[i * d + k] * gs[i * m + j] }
                    dw[k * m + j] = sum
                }
            }
            for j in 0..<m {
                var sum = 0.0
                for i in 0..<n { sum += Double(gs[i * m + j]) }
                db[j] = T(sum)
            }
            return (dx, try Tensor(shape: [d, m], scalars: dw), try Tensor(shape: [m], scalars: db))
        }
    }
}
