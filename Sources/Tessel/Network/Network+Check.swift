extension Network {
    /// How far one layer's tiled kernels are from its serial reference on one batch.
    public struct LayerCheck: Sendable, Equatable {
        /// The layer's name (`conv0`), or `loss`.
        public var layer: String
        /// Maximum relative error of the forward output (the loss value and gradient for `loss`).
        public var forward: Double
        /// Maximum relative error over dx and the parameter gradients (0 for `loss`).
        public var backward: Double

        /// The larger of the two.
        public var maximum: Double { max(forward, backward) }
    }

    /// Runs one training step's layers through both the tiled kernels and the serial
    /// references and compares them layer by layer. Each layer's reference receives the same
    /// input (forward) and the same upstream gradient (backward) as its tiled kernel did, so
    /// an error is the layer's own, not one carried from the layers before it. Errors are
    /// CS231n's `rel_error`: max over elements of |a − b| / max(1e-8, |a| + |b|). The network
    /// is not changed (running statistics and step count stay as they are).
    /// - Returns: one entry per layer, in order, then one for the loss.
    /// - Throws: as `step`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func check(images: Tensor<T>, labels: [Int], scheduler: Scheduler = .default) throws -> [LayerCheck] {
        try validate(images: images, labels: labels)
        let tiled = Backend.tiled(scheduler), seed = dropoutSeed()
        var tiledStatistics = runningStatistics, referenceStatistics = runningStatistics
        var inputs: [Tensor<T>] = [], saved: [LayerRecord<T>] = [], referenceSaved: [LayerRecord<T>] = [], forwardErrors: [Double] = []
        var x = images
        for index in definition.layers.indices {
            let (out, record) = try forward(layer: index, x, mode: .train, backend: tiled, statistics: &tiledStatistics[index], dropoutSeed: seed)
            let (expected, referenceRecord) = try forward(layer: index, x, mode: .train, backend: .reference,
                                                          statistics: &referenceStatistics[index], dropoutSeed: seed)
            inputs.append(x)
            saved.append(record)
            referenceSaved.append(referenceRecord)
            forwardErrors.append(Self.relativeError(out, expected))
            x = out
        }
        let loss = try self.loss(scores: x, labels: labels, backend: tiled)
        let referenceLoss = try self.loss(scores: x, labels: labels, backend: .reference)
        let lossValue = Double(loss.loss), referenceValue = Double(referenceLoss.loss)
        let lossCheck = LayerCheck(layer: "loss", forward: max(abs(lossValue - referenceValue) / max(1e-8, abs(lossValue) + abs(referenceValue)),
                                                              Self.relativeError(loss.dx, referenceLoss.dx)), backward: 0)
        var checks: [LayerCheck] = []
        var dout = loss.dx
        for index in definition.layers.indices.reversed() {
            let (dx, gradients) = try backward(layer: index, dout, saved[index], backend: tiled)
            let (expectedDx, expectedGradients) = try backward(layer: index, dout, referenceSaved[index], backend: .reference)
            var error = Self.relativeError(dx, expectedDx)
            for (gradient, expected) in zip(gradients, expectedGradients) { error = max(error, Self.relativeError(gradient, expected)) }
            checks.append(LayerCheck(layer: layerNames[index], forward: forwardErrors[index], backward: error))
            dout = dx
        }
        return checks.reversed() + [lossCheck]
    }

    /// CS231n's `rel_error`: max over elements of |a − b| / max(1e-8, |a| + |b|); infinity when the shapes differ.
    static func relativeError(_ a: Tensor<T>, _ b: Tensor<T>) -> Double {
        guard a.shape == b.shape else { return .infinity }
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var worst = 0.0
                for i in a.indices {
                    let x = Double(a[i]), y = Double(b[i])
                    let error = abs(x - y) / max(1e-8, abs(x) + abs(y))
                    if !(error <= worst) { worst = error.isNaN ? .infinity : error }
                }
                return worst
            }
        }
    }

    /// This network with every parameter and running statistic converted to `U` (rounded to nearest).
    /// - Throws: `TesselError.outOfMemory` when a tensor cannot be allocated.
    public func converted<U: TesselScalar>(to _: U.Type) throws -> Network<U> {
        var copy = try Network<U>(definition, seed: seed) { try parameters[$0].value.converted(to: U.self) }
        for index in runningStatistics.indices {
            guard let statistics = runningStatistics[index] else { continue }
            copy.runningStatistics[index] = RunningStatistics(mean: try statistics.mean.converted(to: U.self),
                                                              variance: try statistics.variance.converted(to: U.self))
        }
        copy.stepCount = stepCount
        return copy
    }
}
