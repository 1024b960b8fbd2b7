extension Network {
    /// One training step over this rank's part of a sharded global batch (see `ShardLayout`):
    /// `images` and `labels` are the global rows `layout.localRows`, in order.
    ///
    /// Every layer runs on each local shard as its own tensor, so a shard's per-example
    /// results do not depend on which rank holds it. Every reduction over the batch is a
    /// per-shard partial computed from zero, exchanged with `exchange.allGather` and folded in
    /// global shard order — batch-norm and spatial-batch-norm moments (Chan's update) and
    /// backward sums, affine and convolution weight and bias gradients (summed in Double),
    /// and the loss — so the statistics, the running statistics, the gradients and the loss
    /// are those of the global batch, the same bits on every rank and the same as one process
    /// with the same layout. Dropout masks are keyed by the global element index; the loss
    /// divides by the global batch. `scores` holds this rank's rows. The first layer computes no
    /// gradient with respect to the batch (`LayerKind.parameterGradients`) unless tracing. With
    /// `fusesChains`, a normalization and the ReLU after it (and a max pool or a dropout after
    /// that) run as one chain (`FusionPlan`; the fused layers' profile times are then 0, their
    /// work counted in the normalization's); the same bits.
    /// With `tracing`, `trace` holds this rank's rows of every tensor between the layers
    /// (`NetworkTrace`), copied only then, and every layer runs on its own.
    /// - Throws: as `step(images:labels:scheduler:profile:)`; `TesselError.shapeMismatch`
    ///   (layer `network`, argument `images`) when `images` does not hold `layout.localRows.count`
    ///   rows; `TesselError.invalidParameter` (layer `network`, parameter `exchange`) when the
    ///   exchange's rank or rank count is not the layout's; the exchange's errors.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public mutating func step(images: Tensor<T>, labels: [Int], layout: ShardLayout, exchange: any ShardExchange,
                              scheduler: Scheduler = .default, profile: inout NetworkProfile?, tracing: Bool = false) throws -> StepResult {
        try validate(images: images, labels: labels)
        guard images.shape[0] == layout.localRows.count else {
            throw TesselError.shapeMismatch(component: "network", argument: "images",
                                            expected: "\(layout.localRows.count) rows, rank \(layout.rank)'s part of a batch of \(layout.batch)",
                                            actual: images.shape)
        }
        guard exchange.rank == layout.rank, exchange.ranks == layout.ranks else {
            throw TesselError.invalidParameter(component: "network", parameter: "exchange", value: "rank \(exchange.rank) of \(exchange.ranks)",
                                               reason: "the layout is rank \(layout.rank) of \(layout.ranks)")
        }
        let backend = Backend.tiled(scheduler), seed = dropoutSeed()
        let first = layout.localRows.lowerBound
        let rows = layout.localShards.map { layout.rows(of: $0) }
        var xs = rows.count == 1 ? [images] : try rows.map { try images.rows(($0.lowerBound - first)..<($0.upperBound - first)) }
        let ys = rows.map { Array(labels[($0.lowerBound - first)..<($0.upperBound - first)]) }
        var saved: [[LayerRecord<T>]] = []
        saved.reserveCapacity(definition.layers.count)
        var trace: NetworkTrace<T>? = tracing ? NetworkTrace() : nil
        try trace?.record("input", [images])
        let fusion = FusionPlan(layers: definition.layers, shapes: shapes, enabled: fusesChains && !tracing)
        // The ReLU's outputs of the last chain that fused a dropout (the chain's output is the dropout's).
        var chainReLUOutputs: [Tensor<T>] = []
        for index in definition.layers.indices {
            if let head = fusion.head(of: index) {
                // A ReLU fused into the normalization before it keeps its output, and a fused
                // dropout its own, the masks the backward takes; a pooled chain's normalization
                // recomputes the ReLU's and keeps nothing.
                let kept = fusion.dropping[head] != nil && index == head + 1 ? chainReLUOutputs : xs
                saved.append(fusion.pooling[head] == nil ? kept.map { .input($0) } : xs.map { _ in .released })
                if index == head + 1 { chainReLUOutputs = [] }
                continue
            }
            let start = ContinuousClock.now
            var records: [LayerRecord<T>] = []
            let dropping = fusion.dropping[index].map { (keep: $0, seed: RandomTensor.seed(seed, stream: UInt64(index + 2))) }
            var dropped: [Tensor<T>] = []
            if let normalization = definition.layers[index].kind as? any ShardableNormalization {
                (xs, records, dropped) = try normalizationForward(normalization, layer: index, xs, appliesReLU: fusion.appliesNextReLU[index],
                                                                  pooling: fusion.pooling[index], dropping: dropping, firstRows: rows.map(\.lowerBound),
                                                                  layout: layout, exchange: exchange, scheduler: scheduler)
            } else {
                dropped = try Self.fusedDropoutOutputs(dropping, like: xs, scheduler: scheduler)
                for k in xs.indices {
                    let (out, record) = try Self.withFusedDropout(dropping, writing: &dropped, shard: k, firstRow: rows[k].lowerBound) { dropout in
                        try forward(layer: index, xs[k], mode: .train, backend: backend, statistics: &runningStatistics[index],
                                    dropoutSeed: seed, firstRow: rows[k].lowerBound, appliesReLU: fusion.appliesNextReLU[index],
                                    pooling: fusion.pooling[index], dropout: dropout)
                    }
                    xs[k] = out
                    records.append(record)
                }
            }
            if dropping != nil {
                chainReLUOutputs = xs
                xs = dropped
            }
            profile?.forward[index] += start.duration(to: .now)
            saved.append(records)
            try trace?.record(layerNames[index] + ".out", xs)
        }
        let lossStart = ContinuousClock.now
        var losses: [Double] = []
        var douts: [Tensor<T>] = []
        for k in xs.indices {
            let (sum, dx) = try lossSum(scores: xs[k], labels: ys[k], batch: layout.batch, scheduler: scheduler)
            losses.append(sum)
            douts.append(dx)
        }
        profile?.loss += lossStart.duration(to: .now)
        try trace?.record("loss.dx", douts)
        var gradients = [Tensor<T>?](repeating: nil, count: parameters.count)
        var partials: [(parameter: Int, shards: [Tensor<T>])] = []
        for index in definition.layers.indices.reversed() {
            if fusion.isFused(index) {
                // The chain's head runs this layer's backward on douts; it keeps the record until then.
                continue
            }
            let start = ContinuousClock.now
            let pooling = fusion.pooling[index]
            let masks = fusion.appliesNextReLU[index] && pooling == nil ? douts.indices.map { k in
                let reluOutput = saved[index + 1][k].input()
                return fusion.dropping[index].map { ChainMask(reluOutput: reluOutput, dropoutOutput: saved[index + 2][k].input(), keep: $0) }
                    ?? ChainMask(reluOutput: reluOutput)
            } : nil
            if let normalization = definition.layers[index].kind as? any ShardableNormalization {
                let (dxs, layerGradients) = try normalizationBackward(normalization, layer: index, douts, saved[index],
                                                                      maskedBy: masks, pooling: pooling, layout: layout,
                                                                      exchange: exchange, scheduler: scheduler)
                douts = dxs
                for (offset, gradient) in layerGradients.enumerated() { gradients[parameterOffsets[index] + offset] = gradient }
            } else {
                var shardGradients: [[Tensor<T>]] = []
                for k in douts.indices {
                    if !computesInputGradient(layer: index, tracing: tracing) && !fusion.appliesNextReLU[index] {
                        shardGradients.append(try parameterGradients(layer: index, douts[k], saved[index][k], backend: backend))
                        continue
                    }
                    let (dx, layerGradients) = try backward(layer: index, douts[k], saved[index][k], mask: masks?[k],
                                                            pooling: pooling, backend: backend)
                    douts[k] = dx
                    shardGradients.append(layerGradients)
                }
                for offset in 0..<(parameterOffsets[index + 1] - parameterOffsets[index]) {
                    partials.append((parameterOffsets[index] + offset, shardGradients.map { $0[offset] }))
                }
            }
            for layer in fusion.layers(fusedInto: index) { saved[layer] = [] }
            saved[index] = []
            profile?.backward[index] += start.duration(to: .now)
            try trace?.record(layerNames[index] + ".dx", douts)
        }
        let combineStart = ContinuousClock.now
        let loss = try combine(losses: losses, partials: partials, into: &gradients, layout: layout, exchange: exchange, scheduler: scheduler)
        profile?.loss += combineStart.duration(to: .now)
        profile?.steps += 1
        stepCount += 1
        return StepResult(loss: loss, gradients: gradients.map { $0! }, scores: try Tensor.concatenatingRows(xs), trace: trace)
    }

    /// The loss sum of one shard's `scores` as part of a batch of `batch` examples, and its dx.
    func lossSum(scores: Tensor<T>, labels: [Int], batch: Int, scheduler: Scheduler) throws -> (Double, Tensor<T>) {
        switch definition.loss {
        case .softmax: try SoftmaxLoss.sum(x: scores, y: labels, batch: batch, scheduler: scheduler)
        case .svm: try SVMLoss.sum(x: scores, y: labels, batch: batch, scheduler: scheduler)
        }
    }

    /// Exchanges the local shards' loss sums and weight-gradient partials and folds all
    /// shards' in shard order: each gradient element is summed in Double from shard 0 on and
    /// rounded to `T` once. Returns the mean loss of the global batch. With one shard in all,
    /// that fold is the identity, and the partials are the gradients as they are.
    ///
    /// The gradients move as a reduce-scatter and an allgather, an allreduce's traffic: their
    /// elements, flattened in parameter order, are cut into one slice per rank
    /// (`GradientSlices`); `allToAll` brings every shard's copy of rank q's slice to rank q,
    /// which folds them in shard order, and `allGather` hands every rank all folded slices.
    /// The loss sums (one Double per shard) are all-gathered. The message buffers come from
    /// `Allocator.standard`, so that with `BlockCache` enabled a step reuses the previous
    /// step's pages.
    private func combine(losses: [Double], partials: [(parameter: Int, shards: [Tensor<T>])], into gradients: inout [Tensor<T>?],
                         layout: ShardLayout, exchange: any ShardExchange, scheduler: Scheduler) throws -> T {
        guard layout.shards > 1 else {
            for partial in partials { gradients[partial.parameter] = partial.shards[0] }
            return meanLoss(total: losses[0], batch: layout.batch)
        }
        let ranks = layout.ranks, stride = MemoryLayout<T>.stride
        let shardCounts = (0..<ranks).map { layout.shards(of: $0).count }
        let allLosses = try exchange.allGather(losses, counts: shardCounts)
        var total = 0.0
        ChunkPartials.sum(allLosses, chunks: layout.shards, stride: 1, columns: 0..<1, into: &total)

        let slices = GradientSlices(elements: partials.reduce(0) { $0 + $1.shards[0].count }, ranks: ranks)
        let mine = slices.range(of: layout.rank)
        let sendBlock = try Allocator.standard.allocate(byteCount: max(1, slices.elements * losses.count * stride))
        let send = sendBlock.baseAddress
        var sendOffset = 0
        for q in 0..<ranks {
            for k in losses.indices {
                copy(partials, shard: k, elements: slices.range(of: q), to: send + sendOffset)
                sendOffset += slices.range(of: q).count * stride
            }
        }
        let receiveBlock = try Allocator.standard.allocate(byteCount: max(1, mine.count * layout.shards * stride))
        let receive = receiveBlock.baseAddress
        try exchange.allToAll(UnsafeRawBufferPointer(start: send, count: sendOffset),
                              sendCounts: (0..<ranks).map { slices.range(of: $0).count * losses.count * stride },
                              into: UnsafeMutableRawBufferPointer(start: receive, count: mine.count * layout.shards * stride),
                              receiveCounts: shardCounts.map { $0 * mine.count * stride })

        // Fold the shards' copies of this rank's slice, copy s at receive + s · mine.count.
        let shards = layout.shards, sliceLength = mine.count
        let foldedBlock = try Allocator.standard.allocate(byteCount: max(1, slices.elements * stride))
        let folded = foldedBlock.baseAddress.bindMemory(to: T.self, capacity: max(1, slices.elements))
        let source = receive.bindMemory(to: T.self, capacity: max(1, sliceLength * shards))
        ChunkPartials.sum(source, chunks: shards, count: sliceLength, into: folded + mine.lowerBound, scheduler: scheduler)
        let sliceBytes = (0..<ranks).map { slices.range(of: $0).count * stride }
        let foldedBytes = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(folded), count: slices.elements * stride)
        try exchange.allGather(UnsafeRawBufferPointer(rebasing: foldedBytes[(mine.lowerBound * stride)..<(mine.upperBound * stride)]),
                               counts: sliceBytes, into: foldedBytes)

        var offset = 0
        for partial in partials {
            let count = partial.shards[0].count
            var sum = try Tensor<T>.uninitialized(shape: partial.shards[0].shape)
            sum.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: folded + offset, count: count) }
            gradients[partial.parameter] = sum
            offset += count
        }
        withExtendedLifetime((sendBlock, receiveBlock, foldedBlock)) {}
        return meanLoss(total: total, batch: layout.batch)
    }

    /// Copies the flattened elements `elements` of local shard `shard`'s partials (the
    /// partials' elements in order, as one vector) to `target`.
    private func copy(_ partials: [(parameter: Int, shards: [Tensor<T>])], shard: Int, elements: Range<Int>,
                      to target: UnsafeMutableRawPointer) {
        var start = 0, written = 0
        for partial in partials {
            let tensor = partial.shards[shard], end = start + tensor.count
            let lower = max(start, elements.lowerBound), upper = min(end, elements.upperBound)
            if lower < upper {
                tensor.withUnsafeBufferPointer { values in
                    (target + written * MemoryLayout<T>.stride).copyMemory(from: values.baseAddress! + (lower - start),
                                                                           byteCount: (upper - lower) * MemoryLayout<T>.stride)
                }
                written += upper - lower
            }
            start = end
            if start >= elements.upperBound { break }
        }
    }

    /// The mean loss of a batch of `batch` examples whose loss sum is `total`.
    private func meanLoss(total: Double, batch: Int) -> T {
        switch definition.loss {
        case .softmax: T(-total / Double(batch))
        case .svm: T(total / Double(batch))
        }
    }

    /// Train-mode batch norm or spatial batch norm of layer `index` over the local shards with
    /// the statistics of the global batch: per shard the mean and M2 of each feature, all
    /// shards' exchanged and merged in shard order with Chan's update; then the running
    /// statistics update and each shard's normalization (followed by the ReLU after the layer
    /// when `appliesReLU`, and by the max pool after that with `pooling`, its window, or by the
    /// dropout after that with `dropping`, its keep probability and seed; the shards' first rows
    /// are `firstRows`). Returns the outputs (the ReLU's, or the pool's), the records, and the
    /// fused dropout's outputs (empty without one). A batch of one shard takes the layer's
    /// resident forward where it has one and nothing is pooled
    /// (`ShardableNormalization.residentForward`, the same bits).
    private mutating func normalizationForward(_ normalization: some ShardableNormalization, layer index: Int, _ xs: [Tensor<T>],
                                               appliesReLU: Bool, pooling: PoolingWindow?, dropping: (keep: Double, seed: UInt64)?,
                                               firstRows: [Int], layout: ShardLayout, exchange: any ShardExchange,
                                               scheduler: Scheduler) throws -> ([Tensor<T>], [LayerRecord<T>], [Tensor<T>]) {
        let p = layerParameters(index).map(\.value)
        let (gamma, beta) = (p[0], p[1])
        var dropouts = try Self.fusedDropoutOutputs(dropping, like: xs, scheduler: scheduler)
        if layout.shards == 1, pooling == nil,
           let (out, record) = try Self.withFusedDropout(dropping, writing: &dropouts, shard: 0, firstRow: firstRows[0], { dropout in
               try normalization.residentForward(xs[0], gamma: gamma, beta: beta, appliesReLU: appliesReLU, dropout: dropout,
                                                 running: &runningStatistics[index]!, scheduler: scheduler)
           }) {
            return ([out], [record], dropouts)
        }
        let features = gamma.count
        var local = [Double](repeating: 0, count: 2 * features * xs.count)
        for (k, x) in xs.enumerated() {
            try local.withUnsafeMutableBufferPointer { local in
                let mean = local.baseAddress! + 2 * features * k, m2 = mean + features
                try normalization.partialMoments(x, gamma: gamma, beta: beta, running: runningStatistics[index]!, mean: mean, m2: m2,
                                                 scheduler: scheduler)
            }
        }
        let all = try exchange.allGather(local, counts: (0..<layout.ranks).map { 2 * features * layout.shards(of: $0).count })
        let valuesPerExample = normalization.valuesPerFeature(of: xs[0])
        let (mean, inverseStd) = normalization.globalStatistics(features: features, running: &runningStatistics[index]!) { mean, variance in
            all.withUnsafeBufferPointer { all in
                ChunkPartials.mergeMoments(means: all.baseAddress!, m2s: all.baseAddress! + features, stride: 2 * features,
                                           chunks: layout.shards, valuesInChunk: { layout.rows(of: $0).count * valuesPerExample },
                                           columns: 0..<features, mean: mean, m2: variance)
            }
            let values = Double(layout.batch * valuesPerExample)
            for j in 0..<features { variance[j] /= values }
        }
        var outs: [Tensor<T>] = [], records: [LayerRecord<T>] = []
        for (k, x) in xs.enumerated() {
            let (out, record) = try Self.withFusedDropout(dropping, writing: &dropouts, shard: k, firstRow: firstRows[k]) { dropout in
                if let pooling, let pooled = normalization as? any PoolFusingNormalization {
                    try pooled.normalizePooling(x, gamma: gamma, beta: beta, mean: mean, inverseStd: inverseStd, window: pooling,
                                                scheduler: scheduler)
                } else {
                    try normalization.normalize(x, gamma: gamma, beta: beta, mean: mean, inverseStd: inverseStd, appliesReLU: appliesReLU,
                                                dropout: dropout, scheduler: scheduler)
                }
            }
            outs.append(out)
            records.append(record)
        }
        return (outs, records, dropouts)
    }

    /// The outputs of a dropout fused after a chain (`FusionPlan.dropping`), one of each shard's
    /// shape of `xs`, the chain's inputs (whose shape its output keeps); none without `dropping`.
    /// - Throws: `TesselError.outOfMemory`.
    private static func fusedDropoutOutputs(_ dropping: (keep: Double, seed: UInt64)?, like xs: [Tensor<T>],
                                            scheduler: Scheduler) throws -> [Tensor<T>] {
        guard dropping != nil else { return [] }
        return try xs.map { try Tensor<T>.uninitialized(shape: $0.shape, allocator: scheduler.allocator) }
    }

    /// `body` given the dropout fused after a chain with `dropping`'s keep probability and seed,
    /// writing `outputs[shard]`, for the shard whose first row is row `firstRow` of the batch;
    /// nil without `dropping`.
    private static func withFusedDropout<R>(_ dropping: (keep: Double, seed: UInt64)?, writing outputs: inout [Tensor<T>], shard: Int,
                                            firstRow: Int, _ body: (FusedDropout<T>?) throws -> R) rethrows -> R {
        guard let dropping else { return try body(nil) }
        let firstIndex = firstRow * (outputs[shard].count / max(1, outputs[shard].shape[0]))
        return try outputs[shard].withUnsafeMutableBufferPointer { buffer in
            try body(buffer.baseAddress.map { FusedDropout(keep: dropping.keep, seed: dropping.seed, firstIndex: firstIndex, output: $0) })
        }
    }

    /// The backward of a train-mode batch norm or spatial batch norm over the local shards:
    /// per shard the per-feature sums, all shards' exchanged and added in shard order; then
    /// each shard's dx, and dgamma and dbeta of the global batch. With `masks` (each shard's
    /// `ChainMask` of a ReLU fused after the layer, and maybe of a dropout after it), `douts` are
    /// the last fused layer's, masked in both passes. With `pooling` (the window of a max pool after that ReLU, see
    /// `PoolFusingNormalization`), `douts` are the pool's. A batch of one shard takes the
    /// layer's resident backward where it has one and nothing is pooled (the same bits).
    private func normalizationBackward(_ normalization: some ShardableNormalization, layer index: Int, _ douts: [Tensor<T>],
                                       _ saved: [LayerRecord<T>], maskedBy masks: [ChainMask<T>]?, pooling: PoolingWindow?,
                                       layout: ShardLayout, exchange: any ShardExchange,
                                       scheduler: Scheduler) throws -> ([Tensor<T>], [Tensor<T>]) {
        let beta = layerParameters(index).map(\.value)[1]
        let pooled = pooling == nil ? nil : normalization as? any PoolFusingNormalization
        if layout.shards == 1, pooled == nil,
           let g = try normalization.residentBackward(douts[0], maskedBy: masks?[0], record: saved[0], scheduler: scheduler) {
            return ([g.dx], [g.dgamma, g.dbeta])
        }
        let width = normalization.gradientSumCount(features: layerParameters(index).first!.value.count)
        var local = [Double](repeating: 0, count: width * douts.count)
        for k in douts.indices {
            try local.withUnsafeMutableBufferPointer { local in
                let sums = local.baseAddress! + width * k
                if let pooling, let pooled {
                    try pooled.gradientSums(pooledDout: douts[k], window: pooling, beta: beta, record: saved[k], sums: sums,
                                            scheduler: scheduler)
                } else {
                    try normalization.gradientSums(douts[k], maskedBy: masks?[k], record: saved[k], sums: sums, scheduler: scheduler)
                }
            }
        }
        let all = try exchange.allGather(local, counts: (0..<layout.ranks).map { width * layout.shards(of: $0).count })
        var sums = [Double](repeating: 0, count: width)
        ChunkPartials.sum(all, chunks: layout.shards, stride: width, columns: 0..<width, into: &sums)
        var dxs: [Tensor<T>] = [], dgamma: Tensor<T>? = nil, dbeta: Tensor<T>? = nil
        for k in douts.indices {
            let g = if let pooling, let pooled {
                try pooled.gradients(pooledDout: douts[k], window: pooling, beta: beta, record: saved[k], count: layout.batch, sums: sums,
                                     scheduler: scheduler)
            } else {
                try normalization.gradients(douts[k], maskedBy: masks?[k], record: saved[k], count: layout.batch, sums: sums,
                                            scheduler: scheduler)
            }
            dxs.append(g.dx)
            dgamma = dgamma ?? g.dgamma
            dbeta = dbeta ?? g.dbeta
        }
        return (dxs, [dgamma!, dbeta!])
    }
}
