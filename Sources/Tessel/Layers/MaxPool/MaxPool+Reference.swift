extension MaxPool {
    /// The serial reference: plain loops over (n, c, i, j) and the window, as CS231n's layers.py reads.
    /// The oracle for the tiled kernels.
    public enum Reference {
        /// `out[n, c, i, j]` = the window's maximum (NaN if the window holds a NaN).
        /// - Throws: as `MaxPool.forward`.
        public static func forward<T: TesselScalar>(x: Tensor<T>, parameters: Parameters) throws -> Tensor<T> {
            let g = try Geometry(x: x.shape, window: parameters, layer: name)
            return try g.referenceOutput { n, c, i, j in
                let (row, column) = firstMaximum(x, n, c, i, j, g)
                return x[n, c, row, column]
            }
        }

        /// `dx` = zeros, then for every window in row-major order `dx[first maximum] += dout`.
        /// - Throws: as `MaxPool.backward`.
        public static func backward<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, parameters: Parameters) throws -> Tensor<T> {
            let g = try Geometry(x: x.shape, dout: dout, window: parameters, layer: name)
            var dx = try Tensor<T>(shape: x.shape)
            g.forEachOutput { n, c, i, j in
                let (row, column) = firstMaximum(x, n, c, i, j, g)
                dx[n, c, row, column] += dout[n, c, i, j]
            }
            return dx
        }

        /// Position (row, column) in x of the window's first maximum in row-major order; a NaN
        /// beats every number, and the first NaN beats later ones.
        static func firstMaximum<T: TesselScalar>(_ x: Tensor<T>, _ n: Int, _ c: Int, _ i: Int, _ j: Int,
                                                  _ g: Geometry) -> (Int, Int) {
            var best = (i * g.stride, j * g.stride)
            for row in g.windowRows(i) {
                for column in g.windowColumns(j) {
                    let value = x[n, c, row, column], current = x[n, c, best.0, best.1]
                    if value > current || (value.isNaN && !current.isNaN) {
                        best = (row, column)
                    }
                }
            }
            return best
        }
    }
}
