extension SpatialBatchNorm {
    /// The serial reference, as CS231n's layers.py hints: the (N, C, H, W) input is rearranged into an
    /// (N·H·W, C) matrix, one row per pixel, and handed to `BatchNorm.Reference`; the result
    /// is rearranged back. The oracle for the tiled kernels; it produces and accepts the same `Cache`.
    public enum Reference {
        /// Same contract, parameters and errors as `SpatialBatchNorm.forward`.
        public static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                                    running: inout RunningStatistics<T>) throws -> (out: Tensor<T>, cache: Cache<T>) {
            try validateForward(x: x, gamma: gamma, beta: beta, parameters: parameters, running: running)
            let (out, rowCache) = try BatchNorm.Reference.forward(x: try pixelRows(x), gamma: gamma, beta: beta,
                                                                  parameters: parameters, running: &running)
            return (try images(out, shape: x.shape),
                    Cache(x: x, gamma: gamma, mean: rowCache.mean, inverseStd: rowCache.inverseStd, mode: parameters.mode))
        }

        /// Same contract and errors as `SpatialBatchNorm.backward`.
        public static func backward<T: TesselScalar>(dout: Tensor<T>, cache: Cache<T>) throws -> NormalizationGradients<T> {
            try validateBackward(dout: dout, cache: cache)
            let rowCache = BatchNorm.Cache(x: try pixelRows(cache.x), gamma: cache.gamma, mean: cache.mean,
                                           inverseStd: cache.inverseStd, mode: cache.mode)
            let gradients = try BatchNorm.Reference.backwardAlt(dout: try pixelRows(dout), cache: rowCache)
            return NormalizationGradients(dx: try images(gradients.dx, shape: cache.x.shape),
                                          dgamma: gradients.dgamma, dbeta: gradients.dbeta)
        }

        /// x (N, C, H, W) → rows (N·H·W, C): `rows[(n·H + h)·W + w, c] = x[n, c, h, w]`.
        static func pixelRows<T: TesselScalar>(_ x: Tensor<T>) throws -> Tensor<T> {
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            var rows = try Tensor<T>(shape: [n * h * w, c])
            for i in 0..<n {
                for k in 0..<c {
                    for y in 0..<h {
                        for z in 0..<w { rows[(i * h + y) * w + z, k] = x[i, k, y, z] }
                    }
                }
            }
            return rows
        }

        /// The inverse of `pixelRows`.
        static func images<T: TesselScalar>(_ rows: Tensor<T>, shape: [Int]) throws -> Tensor<T> {
            let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
            var x = try Tensor<T>(shape: shape)
            for i in 0..<n {
                for k in 0..<c {
                    for y in 0..<h {
                        for z in 0..<w { x[i, k, y, z] = rows[(i * h + y) * w + z, k] }
                    }
                }
            }
            return x
        }
    }
}

extension SpatialBatchNorm.Reference: BatchNormalizationReference {}
