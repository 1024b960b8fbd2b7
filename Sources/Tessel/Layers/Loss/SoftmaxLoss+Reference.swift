extension SoftmaxLoss {
    /// The serial reference: CS231n's NumPy lines as plain loops (libm `exp`/`log` in `T`).
    /// The oracle for the tiled kernel.
    public enum Reference {
        /// Loss and gradient as `SoftmaxLoss.compute`, serially.
        /// - Throws: as `SoftmaxLoss.compute`.
        public static func compute<T: TesselScalar>(x: Tensor<T>, y: [Int]) throws -> LossOutput<T> {
            let (n, c) = try ClassScores.validate(layer: name, x: x, y: y)
            var logProbs = try Tensor<T>(shape: [n, c])
            for i in 0..<n {
                var rowMax = x[i, 0]
                for j in 0..<c where x[i, j] > rowMax || (x[i, j].isNaN && !rowMax.isNaN) { rowMax = x[i, j] }
                var z = 0.0
                for j in 0..<c { z += Double(T.exp(x[i, j] - rowMax)) }
                for j in 0..<c { logProbs[i, j] = (x[i, j] - rowMax) - T(Double.log(z)) }
            }
            var loss = 0.0
            for i in 0..<n { loss += Double(logProbs[i, y[i]]) }
            var dx = try Tensor<T>(shape: [n, c])
            for i in 0..<n {
                for j in 0..<c { dx[i, j] = T.exp(logProbs[i, j]) }
                dx[i, y[i]] -= 1
            }
            for i in 0..<dx.count { dx[flat: i] /= T(n) }
            return LossOutput(loss: T(-loss / Double(n)), dx: dx)
        }
    }
}
