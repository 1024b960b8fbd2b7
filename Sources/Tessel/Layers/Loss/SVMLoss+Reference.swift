extension SVMLoss {
    /// The serial reference: CS231n's NumPy lines as plain loops. The oracle for the tiled kernel.
    public enum Reference {
        /// Loss and gradient as `SVMLoss.compute`, serially.
        /// - Throws: as `SVMLoss.compute`.
        public static func compute<T: TesselScalar>(x: Tensor<T>, y: [Int]) throws -> LossOutput<T> {
            let (n, c) = try ClassScores.validate(layer: name, x: x, y: y)
            var margins = try Tensor<T>(shape: [n, c])
            for i in 0..<n {
                let correctClassScore = x[i, y[i]]
                for j in 0..<c {
                    let margin = x[i, j] - correctClassScore + 1
                    // max(0, margin), keeping NaN as np.maximum does.
                    margins[i, j] = margin <= 0 ? 0 : margin
                }
                margins[i, y[i]] = 0
            }
            var loss = 0.0
            for i in 0..<n {
                for j in 0..<c { loss += Double(margins[i, j]) }
            }
            var dx = try Tensor<T>(shape: [n, c])
            for i in 0..<n {
                var numberPositive = 0
                for j in 0..<c where margins[i, j] > 0 {
                    dx[i, j] = 1
                    numberPositive += 1
                }
                dx[i, y[i]] -= T(numberPositive)
            }
            for i in 0..<dx.count { dx[flat: i] /= T(n) }
            return LossOutput(loss: T(loss / Double(n)), dx: dx)
        }
    }
}
