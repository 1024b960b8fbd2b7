extension Convolution {
    /// The serial reference: the nested loops of `conv_forward_naive` / `conv_backward_naive`
    /// over row-major element arrays, with the zero padding as a bounds test. The oracle for
    /// the tiled kernels.
    public enum Reference {
        /// `out[n, f, i, j] = Σ_{c, di, dj} xpad[n, c, i·stride + di, j·stride + dj] · w[f, c, di, dj] + b[f]`.
        /// - Throws: as `Convolution.forward`.
        public static func forward<T: TesselScalar>(x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                                    parameters: Parameters = Parameters()) throws -> Tensor<T> {
            let g = try validate(x: x, w: w, b: b, parameters: parameters)
            let xs = x.scalars, ws = w.scalars, bs = b.scalars
            var out = [T](repeating: 0, count: g.n * g.f * g.outH * g.outW)
            for n in 0..<g.n {
                for f in 0..<g.f {
                    for i in 0..<g.outH {
                        for j in 0..<g.outW {
                            var sum: T = 0
                            for c in 0..<g.c {
                                for di in 0..<g.hh {
                                    for dj in 0..<g.ww {
                                        let y = i * g.stride + di - g.pad, xx = j * g.stride + dj - g.pad
                                        guard y >= 0, y < g.h, xx >= 0, xx < g.w else { continue }
                                        sum += xs[((n * g.c + c) * g.h + y) * g.w + xx] * ws[((f * g.c + c) * g.hh + di) * g.ww + dj]
                                    }
                                }
                            }
                            out[((n * g.f + f) * g.outH + i) * g.outW + j] = sum + bs[f]
                        }
                    }
                }
            }
            return try Tensor(shape: [g.n, g.f, g.outH, g.outW], scalars: out)
        }

        /// For each output position, spreads `dout` back: `dx += dout · w` over the window,
        /// `dw += dout · xpad` over the window, `db[f] += dout` (summed in Double).
        /// - Throws: as `Convolution.backward`.
        public static func backward<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                                     parameters: Parameters = Parameters()) throws -> WeightGradients<T> {
            let g = try gradients(dout: dout, x: x, w: w, b: b, parameters: parameters, withInputGradient: true)
            return WeightGradients(dx: g.dx!, dw: g.dw, db: g.db)
        }

        /// `dw` and `db` as `backward` computes them, without `dx`.
        /// - Throws: as `Convolution.backward`.
        public static func parameterGradients<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                                               parameters: Parameters = Parameters()) throws -> ParameterGradients<T> {
            let g = try gradients(dout: dout, x: x, w: w, b: b, parameters: parameters, withInputGradient: false)
            return ParameterGradients(dw: g.dw, db: g.db)
        }

        /// `dw`, `db`, and `dx` when `withInputGradient` (else nil).
        static func gradients<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>, parameters: Parameters,
                                               withInputGradient: Bool) throws -> (dx: Tensor<T>?, dw: Tensor<T>, db: Tensor<T>) {
            let g = try validateBackward(dout: dout, x: x, w: w, b: b, parameters: parameters)
            let xs = x.scalars, ws = w.scalars, gs = dout.scalars
            var dx = [T](repeating: 0, count: withInputGradient ? x.count : 0)
            var dw = [T](repeating: 0, count: w.count)
            var db = [Double](repeating: 0, count: g.f)
            for n in 0..<g.n {
                for f in 0..<g.f {
                    for i in 0..<g.outH {
                        for j in 0..<g.outW {
                            let d = gs[((n * g.f + f) * g.outH + i) * g.outW + j]
                            db[f] += Double(d)
                            for c in 0..<g.c {
                                for di in 0..<g.hh {
                                    for dj in 0..<g.ww {
                                        let y = i * g.stride + di - g.pad, xx = j * g.stride + dj - g.pad
                                        guard y >= 0, y < g.h, xx >= 0, xx < g.w else { continue }
                                        let xi = ((n * g.c + c) * g.h + y) * g.w + xx
                                        let wi = ((f * g.c + c) * g.hh + di) * g.ww + dj
                                        if withInputGradient { dx[xi] += d * ws[wi] }
                                        dw[wi] += d * xs[xi]
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let inputGradient: Tensor<T>? = try withInputGradient ? Tensor(shape: x.shape, scalars: dx) : nil
            return (inputGradient, try Tensor(shape: w.shape, scalars: dw), try Tensor(shape: [g.f], scalars: db.map { T($0) }))
        }
    }
}
