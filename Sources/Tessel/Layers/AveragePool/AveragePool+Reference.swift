extension AveragePool {
    /// The serial reference: plain loops over (n, c, i, j) and the window. The oracle for the
    /// tiled kernels.
    public enum Reference {
        /// `out[n, c, i, j]` = the window's sum (in Double, row-major) / its element count.
        /// - Throws: as `AveragePool.forward`.
        public static func forward<T: TesselScalar>(x: Tensor<T>, parameters: Parameters) throws -> Tensor<T> {
            let g = try Geometry(x: x.shape, window: parameters, layer: name)
            var out = try Tensor<T>(shape: [g.n, g.c, g.outHeight, g.outWidth])
            for n in 0..<g.n {
                for c in 0..<g.c {
                    for i in 0..<g.outHeight {
                        for j in 0..<g.outWidth {
                            var sum = 0.0
                            for row in i * g.stride..<i * g.stride + g.poolHeight {
                                for column in j * g.stride..<j * g.stride + g.poolWidth {
                                    sum += Double(x[n, c, row, column])
                                }
                            }
                            out[n, c, i, j] = T(sum / area(g))
                        }
                    }
                }
            }
            return out
        }

        /// `dx` = zeros, then for every window in row-major order `dx[window] += dout / area`.
        /// - Throws: as `AveragePool.backward`.
        public static func backward<T: TesselScalar>(dout: Tensor<T>, inputShape: [Int], parameters: Parameters) throws -> Tensor<T> {
            let g = try validateBackward(dout: dout, inputShape: inputShape, parameters: parameters)
            var dx = try Tensor<T>(shape: inputShape)
            for n in 0..<g.n {
                for c in 0..<g.c {
                    for i in 0..<g.outHeight {
                        for j in 0..<g.outWidth {
                            let share = T(Double(dout[n, c, i, j]) / area(g))
                            for row in i * g.stride..<i * g.stride + g.poolHeight {
                                for column in j * g.stride..<j * g.stride + g.poolWidth {
                                    dx[n, c, row, column] += share
                                }
                            }
                        }
                    }
                }
            }
            return dx
        }
    }
}
