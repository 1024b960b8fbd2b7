extension AveragePool {
    /// The serial reference: plain loops over (n, c, i, j) and the window. The oracle for the
    /// tiled kernels.
    public enum Reference {
        /// `out[n, c, i, j]` = the window's sum (in Double, row-major) / its element count.
        /// - Throws: as `AveragePool.forward`.
        public static func forward<T: TesselScalar>(x: Tensor<T>, parameters: Parameters) throws -> Tensor<T> {
            let g = try Geometry(x: x.shape, window: parameters, layer: name)
            return try g.referenceOutput { n, c, i, j in
                var sum = 0.0
                for row in g.windowRows(i) {
                    for column in g.windowColumns(j) { sum += Double(x[n, c, row, column]) }
                }
                return T(sum / area(g))
            }
        }

        /// `dx` = zeros, then for every window in row-major order `dx[window] += dout / area`.
        /// - Throws: as `AveragePool.backward`.
        public static func backward<T: TesselScalar>(dout: Tensor<T>, inputShape: [Int], parameters: Parameters) throws -> Tensor<T> {
            let g = try Geometry(x: inputShape, dout: dout, window: parameters, layer: name)
            var dx = try Tensor<T>(shape: inputShape)
            g.forEachOutput { n, c, i, j in
                let share = T(Double(dout[n, c, i, j]) / area(g))
                for row in g.windowRows(i) {
                    for column in g.windowColumns(j) { dx[n, c, row, column] += share }
                }
            }
            return dx
        }
    }
}
