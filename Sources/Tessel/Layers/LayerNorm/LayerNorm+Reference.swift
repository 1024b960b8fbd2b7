extension LayerNorm {
    /// The serial reference: plain loops in `Double` that read like CS231n's layers.py, one row at a
    /// time. The oracle for the tiled kernels; it produces and accepts the same `Cache`.
    public enum Reference {
        /// Same contract, parameters and errors as `LayerNorm.forward`.
        public static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>,
                                                    parameters: Parameters) throws -> (out: Tensor<T>, cache: Cache<T>) {
            try validateForward(x: x, gamma: gamma, beta: beta, parameters: parameters)
            let n = x.shape[0], d = x.shape[1]
            var out = try Tensor<T>(shape: [n, d])
            var mean = try Tensor<Double>(shape: [n]), inverseStd = try Tensor<Double>(shape: [n])
            for i in 0..<n {
                var sum = 0.0
                for j in 0..<d { sum += Double(x[i, j]) }
                let rowMean = sum / Double(d)
                var squares = 0.0
                for j in 0..<d { squares += (Double(x[i, j]) - rowMean) * (Double(x[i, j]) - rowMean) }
                let std = (squares / Double(d) + parameters.eps).squareRoot()
                for j in 0..<d {
                    let xhat = (Double(x[i, j]) - rowMean) / std
                    out[i, j] = T(Double(gamma[j]) * xhat + Double(beta[j]))
                }
                mean[i] = rowMean
                inverseStd[i] = 1 / std
            }
            return (out, Cache(x: x, gamma: gamma, mean: mean, inverseStd: inverseStd))
        }

        /// Same contract and errors as `LayerNorm.backward`: batch norm's simplified backward
        /// applied to each row, `dx = ivar/D · (D·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂))` with `dx̂ = dout·γ`.
        public static func backward<T: TesselScalar>(dout: Tensor<T>, cache: Cache<T>) throws -> NormalizationGradients<T> {
            try validateBackward(dout: dout, cache: cache)
            let x = cache.x, n = x.shape[0], d = x.shape[1], count = Double(d)
            var dx = try Tensor<T>(shape: x.shape)
            var dgamma = [Double](repeating: 0, count: d), dbeta = [Double](repeating: 0, count: d)
            for i in 0..<n {
                let ivar = cache.inverseStd[i]
                let xhat = (0..<d).map { (Double(x[i, $0]) - cache.mean[i]) * ivar }
                let dxhat = (0..<d).map { Double(dout[i, $0]) * Double(cache.gamma[$0]) }
                let sumDxhat = dxhat.reduce(0, +)
                let sumDxhatXhat = zip(dxhat, xhat).map { $0 * $1 }.reduce(0, +)
                for j in 0..<d {
                    dx[i, j] = T(ivar / count * (count * dxhat[j] - sumDxhat - xhat[j] * sumDxhatXhat))
                    dgamma[j] += Double(dout[i, j]) * xhat[j]
                    dbeta[j] += Double(dout[i, j])
                }
            }
            return NormalizationGradients(dx: dx, dgamma: try Tensor(shape: cache.gamma.shape, scalars: dgamma.map { T($0) }),
                                          dbeta: try Tensor(shape: cache.gamma.shape, scalars: dbeta.map { T($0) }))
        }
    }
}
