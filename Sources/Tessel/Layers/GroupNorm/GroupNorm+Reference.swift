extension GroupNorm {
    /// The serial reference: plain loops in `Double` that read like CS231n's layers.py, one group
    /// (n, g) at a time. The oracle for the tiled kernels; it produces and accepts the same `Cache`.
    public enum Reference {
        /// Same contract, parameters and errors as `GroupNorm.forward`.
        public static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>,
                                                    parameters: Parameters) throws -> (out: Tensor<T>, cache: Cache<T>) {
            try validateForward(x: x, gamma: gamma, beta: beta, parameters: parameters)
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let groups = parameters.groups, perGroup = c / groups, count = Double(perGroup * h * w)
            var out = try Tensor<T>(shape: x.shape)
            var mean = try Tensor<Double>(shape: [n, groups]), inverseStd = try Tensor<Double>(shape: [n, groups])
            for i in 0..<n {
                for g in 0..<groups {
                    let channels = g * perGroup..<(g + 1) * perGroup
                    var sum = 0.0
                    for k in channels { for y in 0..<h { for z in 0..<w { sum += Double(x[i, k, y, z]) } } }
                    let groupMean = sum / count
                    var squares = 0.0
                    for k in channels {
                        for y in 0..<h { for z in 0..<w { squares += (Double(x[i, k, y, z]) - groupMean) * (Double(x[i, k, y, z]) - groupMean) } }
                    }
                    let std = (squares / count + parameters.eps).squareRoot()
                    for k in channels {
                        for y in 0..<h {
                            for z in 0..<w {
                                let xhat = (Double(x[i, k, y, z]) - groupMean) / std
                                out[i, k, y, z] = T(Double(gamma[flat: k]) * xhat + Double(beta[flat: k]))
                            }
                        }
                    }
                    mean[i, g] = groupMean
                    inverseStd[i, g] = 1 / std
                }
            }
            return (out, Cache(x: x, gamma: gamma, betaShape: beta.shape, groups: groups, mean: mean, inverseStd: inverseStd))
        }

        /// Same contract and errors as `GroupNorm.backward`: batch norm's simplified backward
        /// applied to each group, `dx = ivar/M · (M·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂))` with `dx̂ = dout·γ_c`.
        public static func backward<T: TesselScalar>(dout: Tensor<T>, cache: Cache<T>) throws -> NormalizationGradients<T> {
            try validateBackward(dout: dout, cache: cache)
            let x = cache.x, (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let groups = cache.groups, perGroup = c / groups, count = Double(perGroup * h * w)
            var dx = try Tensor<T>(shape: x.shape)
            var dgamma = [Double](repeating: 0, count: c), dbeta = [Double](repeating: 0, count: c)
            for i in 0..<n {
                for g in 0..<groups {
                    let channels = g * perGroup..<(g + 1) * perGroup, mu = cache.mean[i, g], ivar = cache.inverseStd[i, g]
                    func xhat(_ k: Int, _ y: Int, _ z: Int) -> Double { (Double(x[i, k, y, z]) - mu) * ivar }
                    func dxhat(_ k: Int, _ y: Int, _ z: Int) -> Double { Double(dout[i, k, y, z]) * Double(cache.gamma[flat: k]) }
                    var sumDxhat = 0.0, sumDxhatXhat = 0.0
                    for k in channels {
                        for y in 0..<h {
                            for z in 0..<w {
                                sumDxhat += dxhat(k, y, z)
                                sumDxhatXhat += dxhat(k, y, z) * xhat(k, y, z)
                                dgamma[k] += Double(dout[i, k, y, z]) * xhat(k, y, z)
                                dbeta[k] += Double(dout[i, k, y, z])
                            }
                        }
                    }
                    for k in channels {
                        for y in 0..<h {
                            for z in 0..<w {
                                dx[i, k, y, z] = T(ivar / count * (count * dxhat(k, y, z) - sumDxhat - xhat(k, y, z) * sumDxhatXhat))
                            }
                        }
                    }
                }
            }
            return NormalizationGradients(dx: dx, dgamma: try Tensor(shape: cache.gamma.shape, scalars: dgamma.map { T($0) }),
                                          dbeta: try Tensor(shape: cache.betaShape, scalars: dbeta.map { T($0) }))
        }
    }
}
