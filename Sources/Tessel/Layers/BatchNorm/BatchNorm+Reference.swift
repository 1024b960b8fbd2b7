extension BatchNorm {
    /// The serial reference: plain loops in `Double` that read like CS231n's layers.py, one feature at a
    /// time. The oracle for the tiled kernels; it produces and accepts the same `Cache`.
    public enum Reference {
        /// Same contract, parameters and errors as `BatchNorm.forward`.
        public static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                                    running: inout RunningStatistics<T>) throws -> (out: Tensor<T>, cache: Cache<T>) {
            try validateForward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: running)
            let n = x.shape[0], d = x.shape[1]
            var out = try Tensor<T>(shape: [n, d])
            var mean = try Tensor<Double>(shape: [d]), inverseStd = try Tensor<Double>(shape: [d])
            for j in 0..<d {
                let sampleMean: Double, sampleVariance: Double
                switch parameters.mode {
                case .train:
                    var sum = 0.0
                    for i in 0..<n { sum += Double(x[i, j]) }
                    sampleMean = sum / Double(n)
                    var squares = 0.0
                    for i in 0..<n { squares += (Double(x[i, j]) - sampleMean) * (Double(x[i, j]) - sampleMean) }
                    sampleVariance = squares / Double(n)
                    let momentum = parameters.momentum
                    running.mean[j] = T(momentum * Double(running.mean[j]) + (1 - momentum) * sampleMean)
                    running.variance[j] = T(momentum * Double(running.variance[j]) + (1 - momentum) * sampleVariance)
                case .test:
                    sampleMean = Double(running.mean[j])
                    sampleVariance = Double(running.variance[j])
                }
                let std = (sampleVariance + parameters.eps).squareRoot()
                for i in 0..<n {
                    let xhat = (Double(x[i, j]) - sampleMean) / std
                    out[i, j] = T(Double(gamma[j]) * xhat + Double(beta[j]))
                }
                mean[j] = sampleMean
                inverseStd[j] = 1 / std
            }
            return (out, Cache(x: x, gamma: gamma, mean: mean, inverseStd: inverseStd, mode: parameters.mode))
        }

        /// Backward through the computation graph of the forward, node by node (CS231n's
        /// `batchnorm_backward`). Same contract and errors as `BatchNorm.backward`.
        public static func backward<T: TesselScalar>(dout: Tensor<T>, cache: Cache<T>) throws -> NormalizationGradients<T> {
            try validateBackward(dout: dout, cache: cache)
            let x = cache.x, n = x.shape[0], d = x.shape[1], count = Double(n)
            var dx = try Tensor<T>(shape: x.shape)
            var dgamma = try Tensor<T>(shape: cache.gamma.shape), dbeta = try Tensor<T>(shape: cache.gamma.shape)
            for j in 0..<d {
                let gamma = Double(cache.gamma[j]), mu = cache.mean[j], ivar = cache.inverseStd[j]
                let upstream = (0..<n).map { Double(dout[$0, j]) }
                // Forward graph: xmu = x − mu; xhat = xmu·ivar; out = gamma·xhat + beta,
                // with (train) mu = mean(x), var = mean(xmu²), sqrtvar = √(var + eps), ivar = 1/sqrtvar.
                let xmu = (0..<n).map { Double(x[$0, j]) - mu }
                let xhat = xmu.map { $0 * ivar }
                dbeta[j] = T(upstream.reduce(0, +))
                dgamma[j] = T(zip(upstream, xhat).map { $0 * $1 }.reduce(0, +))
                let dxhat = upstream.map { $0 * gamma }
                let dxmu1 = dxhat.map { $0 * ivar }
                guard cache.mode == .train else {
                    // Test mode: mu and ivar are the running statistics, constants.
                    for i in 0..<n { dx[i, j] = T(dxmu1[i]) }
                    continue
                }
                let divar = zip(dxhat, xmu).map { $0 * $1 }.reduce(0, +)
                let sqrtvar = 1 / ivar
                let dsqrtvar = -1 / (sqrtvar * sqrtvar) * divar
                let dvar = 0.5 * ivar * dsqrtvar
                let dsq = dvar / count
                let dxmu2 = xmu.map { 2 * $0 * dsq }
                let dx1 = zip(dxmu1, dxmu2).map { $0 + $1 }
                let dmu = -dx1.reduce(0, +)
                let dx2 = dmu / count
                for i in 0..<n { dx[i, j] = T(dx1[i] + dx2) }
            }
            return NormalizationGradients(dx: dx, dgamma: dgamma, dbeta: dbeta)
        }

        /// Backward by the simplified closed form (CS231n's `batchnorm_backward_alt`):
        /// `dx = γ·ivar/N · (N·dout − Σdout − x̂·Σ(dout·x̂))`. Same contract as `backward`.
        public static func backwardAlt<T: TesselScalar>(dout: Tensor<T>, cache: Cache<T>) throws -> NormalizationGradients<T> {
            try validateBackward(dout: dout, cache: cache)
            let x = cache.x, n = x.shape[0], d = x.shape[1], count = Double(n)
            var dx = try Tensor<T>(shape: x.shape)
            var dgamma = try Tensor<T>(shape: cache.gamma.shape), dbeta = try Tensor<T>(shape: cache.gamma.shape)
            for j in 0..<d {
                let gamma = Double(cache.gamma[j]), ivar = cache.inverseStd[j]
                var sumDout = 0.0, sumDoutXhat = 0.0
                for i in 0..<n {
                    sumDout += Double(dout[i, j])
                    sumDoutXhat += Double(dout[i, j]) * (Double(x[i, j]) - cache.mean[j]) * ivar
                }
                dbeta[j] = T(sumDout)
                dgamma[j] = T(sumDoutXhat)
                for i in 0..<n {
                    let xhat = (Double(x[i, j]) - cache.mean[j]) * ivar
                    switch cache.mode {
                    case .train:
                        dx[i, j] = T(gamma * ivar / count * (count * Double(dout[i, j]) - sumDout - xhat * sumDoutXhat))
                    case .test:
                        dx[i, j] = T(gamma * ivar * Double(dout[i, j]))
                    }
                }
            }
            return NormalizationGradients(dx: dx, dgamma: dgamma, dbeta: dbeta)
        }
    }
}

extension BatchNorm.Reference: BatchNormalizationReference {}
