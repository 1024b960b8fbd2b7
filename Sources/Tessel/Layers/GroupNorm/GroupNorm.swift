import CCacheHints

/// Spatial group normalization of an (N, C, H, W) tensor (seed: `spatial_groupnorm_forward`,
/// `spatial_groupnorm_backward`): each sample's C channels are split into G contiguous groups
/// of C/G channels, each group normalized over its M = (C/G)·H·W values, then scaled and
/// shifted per channel. The same in train and test; no running statistics.
///
/// - forward: per (n, g), μ and the uncorrected variance σ² over the group;
///   `out = γ_c·(x − μ)/√(σ² + eps) + β_c` for channel c.
/// - backward: with x̂ the normalized values, σ̂ = √(σ² + eps) and `dx̂ = dout·γ_c`,
///   `dx = (1/σ̂)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))` (means over the group),
///   `dgamma_c = Σ dout·x̂`, `dbeta_c = Σ dout` over N·H·W.
///
/// γ and β are accepted as (C,) or as (1, C, 1, 1) (the CS231n notebook's shape), each on its
/// own; dgamma and dbeta come back in the shape γ and β were given.
///
/// Parallel and deterministic: a group is C/G·H·W contiguous values and belongs to the one
/// tile that holds it (blocks of whole groups): two-pass moments, then the output, from cache.
/// In the backward the same tile writes its group's dx and, per channel of the group, the
/// partial sums Σdout and Σdout·x̂ keyed by (sample, channel); those are combined per channel
/// in sample order, in `Double`. Passes over memory: forward one read of x and one write,
/// backward one read of x and dout and one write; the sweep that writes a group also reads
/// (sums) the tile's next group, so reading memory overlaps writing it. The parallelism is
/// the N·G groups.
///
/// `GroupNorm.Reference` is the serial oracle.
///
/// Numerics: as `LayerNorm`, statistics in Double: groups near Float32's limits give finite,
/// correct outputs. The layer does not scan its inputs for NaN or ±∞: they propagate (NaN in,
/// NaN out); only scalar parameters are checked. eps must be positive and finite.
public enum GroupNorm {
    /// The layer's name in errors and on the command line.
    public static let name = "groupnorm"

    /// CS231n's `G` and `gn_param`.
    public struct Parameters: Sendable, Equatable {
        /// The number of groups G: at least 1, and a divisor of the channel count C.
        public var groups: Int
        /// Added to the variance before the square root; must be positive and finite.
        public var eps: Double

        /// `groups` groups; CS231n's default `eps = 1e-5`.
        public init(groups: Int, eps: Double = 1e-5) {
            self.groups = groups
            self.eps = eps
        }
    }

    /// What the backward needs: the input, γ, β's shape, the group count, and per (n, g) the
    /// mean and `1/√(variance + eps)` in `Double`.
    public struct Cache<T: TesselScalar>: Sendable {
        /// The forward's input, (N, C, H, W).
        public let x: Tensor<T>
        /// The forward's scale γ, (C,) or (1, C, 1, 1) as given.
        public let gamma: Tensor<T>
        /// The shape β was given in: the shape of dbeta.
        public let betaShape: [Int]
        /// The number of groups G.
        public let groups: Int
        /// The mean of each group, (N, G).
        public let mean: Tensor<Double>
        /// `1/√(variance + eps)` of each group, (N, G).
        public let inverseStd: Tensor<Double>
    }

    /// Tiled forward. `x`: (N, C, H, W) with (C/G)·H·W ≥ 1; `gamma`, `beta`: (C,) or
    /// (1, C, 1, 1). Returns `out` (N, C, H, W) and the cache for `backward`.
    /// - Throws: `TesselError.invalidParameter` for groups < 1 or not dividing C, eps ≤ 0 or not
    ///   finite; `TesselError.shapeMismatch` when x is not of rank 4, when its groups are
    ///   empty (C = 0 or H·W = 0: no statistics), or when gamma or beta has another shape.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                                scheduler: Scheduler = .default) throws -> (out: Tensor<T>, cache: Cache<T>) {
        try forward(x: x, gamma: gamma, beta: beta, parameters: parameters, appliesReLU: false, dropout: nil, scheduler: scheduler)
    }

    /// `forward`; with `appliesReLU`, the output of a ReLU after the layer, each value rectified
    /// in the sweep that normalizes it (`FusedChain`), and with `dropout` as well, the dropout of
    /// each plane right after it (`FusedDropout`). The cache is the same. An output of
    /// `TileSettings.streamingOutputBytes` or more is written with streaming stores, unless a
    /// fused dropout reads it back.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                                 appliesReLU: Bool, dropout: FusedDropout<T>?,
                                                 scheduler: Scheduler) throws -> (out: Tensor<T>, cache: Cache<T>) {
        try validateForward(x: x, gamma: gamma, beta: beta, parameters: parameters)
        return try forward(x: x, gamma: gamma, beta: beta, parameters: parameters, appliesReLU: appliesReLU, dropout: dropout,
                           pooling: nil, scheduler: scheduler)
    }

    /// The forward over checked arguments. With `pooling` (`appliesReLU` then set), each plane
    /// goes through the ReLU in the worker's scratch and is max-pooled from there into `out`
    /// (N, C, H', W'), the chain of `GroupNorm+MaxPool.swift`.
    static func forward<T: TesselScalar>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters,
                                         appliesReLU: Bool, dropout: FusedDropout<T>? = nil, pooling: PoolingGeometry?,
                                         scheduler: Scheduler) throws -> (out: Tensor<T>, cache: Cache<T>) {
        precondition(dropout == nil || pooling == nil, "group_norm: a fused dropout follows the ReLU, not the pool")
        let layout = GroupLayout(shape: x.shape, groups: parameters.groups), eps = parameters.eps
        var out = try Tensor<T>.uninitialized(shape: pooling?.outputShape ?? x.shape, allocator: scheduler.allocator)
        let statisticsShape = [x.shape[0], parameters.groups]
        var mean = try Tensor<Double>.uninitialized(shape: statisticsShape)
        var inverseStd = try Tensor<Double>.uninitialized(shape: statisticsShape)
        let tiling = layout.tiling(scheduler: scheduler)
        let streams = pooling == nil && dropout == nil && scheduler.tiles.streams(outputLike: x)
        try withBaseAddresses(x, gamma, beta) { x, gammas, betas in
            try withMutableBaseAddresses(&out, &mean, &inverseStd) { out, means, inverseStds in
                try FusedChain.forEachTile(tiling, workPerTile: 3 * tiling.tileRows * layout.groupSize, masks: pooling != nil,
                                          spanLength: layout.plane, as: T.self, scheduler: scheduler) { tile, scratch in
                    // The sweep that writes group q also sums group q + 1, so that reading
                    // the next group from memory overlaps writing this one, and prefetches the
                    // plane it sums next: a 32 × 32 Float plane is a page, where the hardware
                    // prefetchers stop.
                    var sum = layout.sum(x, group: tile.rows.lowerBound)
                    for group in tile.rows {
                        let start = group * layout.groupSize
                        let mean = sum / Double(layout.groupSize)
                        let variance = SpanSums.centeredSquares(x + start, count: layout.groupSize, mean: mean)
                            / Double(layout.groupSize)
                        let inverseStd = 1 / (variance + eps).squareRoot()
                        means[group] = mean
                        inverseStds[group] = inverseStd
                        let firstChannel = layout.firstChannel(ofGroup: group)
                        let hasNext = group + 1 < tile.rows.upperBound
                        sum = 0
                        for c in 0..<layout.channelsPerGroup {
                            let channel = firstChannel + c, offset = start + c * layout.plane
                            let target = scratch ?? out + offset
                            sum += CenteredAffine.forward(
                                x + offset, mean: T(mean), scale: T(Double(gammas[channel]) * inverseStd), shift: betas[channel],
                                out: target, count: layout.plane, rectifying: appliesReLU,
                                summing: hasNext ? x + offset + layout.groupSize : nil,
                                prefetching: hasNext ? x + offset + layout.groupSize + layout.plane : nil, streaming: streams)
                            dropout?.apply(out, offset: offset, count: layout.plane)
                            if let pooling {
                                let pooledPlane = pooling.outHeight * pooling.outWidth
                                MaxPool.forwardRows(0..<pooling.outHeight, target, out + (start / layout.plane + c) * pooledPlane, pooling)
                            }
                        }
                    }
                    if streams { tessel_store_fence() }
                }
            }
        }
        return (out, Cache(x: x, gamma: gamma, betaShape: beta.shape, groups: parameters.groups, mean: mean, inverseStd: inverseStd))
    }

    /// Tiled backward. `dout`: (N, C, H, W) like the cached x. Returns dx (N, C, H, W), dgamma
    /// in γ's shape and dbeta in β's shape.
    /// - Throws: `TesselError.shapeMismatch` when dout's shape is not x's.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TesselScalar>(dout: Tensor<T>, cache: Cache<T>,
                                                 scheduler: Scheduler = .default) throws -> NormalizationGradients<T> {
        try backward(dout: dout, maskedBy: nil, cache: cache, scheduler: scheduler)
    }

    /// `backward`; with `mask` (a ReLU fused after the layer, and maybe a dropout after it,
    /// `ChainMask`), `dout` is the chain's last layer's: each plane is masked (`FusedChain.span`)
    /// into the worker's scratch right before a sweep reads it. A dx of
    /// `TileSettings.streamingOutputBytes` or more is written with streaming stores.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func backward<T: TesselScalar>(dout: Tensor<T>, maskedBy mask: ChainMask<T>?, cache: Cache<T>,
                                                  scheduler: Scheduler) throws -> NormalizationGradients<T> {
        try validateBackward(dout: dout, cache: cache)
        return try withBaseAddresses(dout) { dout in
            try ChainMask.withPointers(mask) { mask in
                let planeDout: PlaneDout<T> = mask.map { .relu(dout: dout, mask: $0) } ?? .layer(dout)
                return try backward(cache: cache, scheduler: scheduler, planeDout: planeDout)
            }
        }
    }

    /// Where the backward reads each plane's dout.
    enum PlaneDout<T: TesselScalar> {
        /// The layer's dout (N, C, H, W).
        case layer(UnsafePointer<T>)
        /// The dout of the last layer of a chain fused after the layer (a ReLU, or a ReLU and a
        /// dropout), and the chain's mask.
        case relu(dout: UnsafePointer<T>, mask: ChainMask<T>.Pointers)
        /// The dout of a ReLU and a max pool fused after the layer (`PooledGroupChain`).
        case pooled(PooledGroupChain<T>)

        /// Elements of scratch per worker: two groups' douts (the one whose dx a sweep writes
        /// and the next one, which it sums), and a plane of the ReLU's output for a pooled chain.
        func scratchLength(_ layout: GroupLayout) -> Int {
            switch self {
            case .layer: 0
            case .relu: 2 * layout.groupSize
            case .pooled: 2 * layout.groupSize + layout.plane
            }
        }

        /// The layer's dout of channel `c` of `group`, whose `plane` values start at `offset`:
        /// where it is not the layer's dout, computed into `target` (a plane), with `temporary`
        /// (a plane) for a pooled chain's ReLU output.
        @inline(__always)
        func plane(group: Int, channel c: Int, offset: Int, plane: Int, into target: UnsafeMutablePointer<T>?,
                   temporary: UnsafeMutablePointer<T>?) -> UnsafePointer<T> {
            switch self {
            case let .layer(dout): dout + offset
            case let .relu(dout, mask): FusedChain.span(dout, mask: mask, offset: offset, count: plane, scratch: target)
            case let .pooled(chain): chain.layerDout(group: group, channel: c, reluOutput: temporary!, into: target!)
            }
        }

        /// Where `plane(…into: target…)` put its dout.
        @inline(__always)
        func stored(offset: Int, target: UnsafeMutablePointer<T>?) -> UnsafePointer<T> {
            if case let .layer(dout) = self { return dout + offset }
            return UnsafePointer(target!)
        }
    }

    /// The backward over checked arguments, each plane's dout read through `planeDout` (and
    /// computed once, in the sweep that sums it, where it is not the layer's).
    static func backward<T: TesselScalar>(cache: Cache<T>, scheduler: Scheduler,
                                          planeDout: PlaneDout<T>) throws -> NormalizationGradients<T> {
        let x = cache.x, layout = GroupLayout(shape: x.shape, groups: cache.groups)
        let samples = x.shape[0], channels = x.shape[1], stride = samples * channels
        // Partials per (sample, channel) of dgamma and dbeta, then their sums over samples.
        return try scheduler.withScratch(Double.self, count: 2 * stride + 2 * channels) { buffer in
            let scratch = buffer.baseAddress!
            let partialDgamma = scratch, partialDbeta = scratch + stride
            let sumDgamma = scratch + 2 * stride, sumDbeta = sumDgamma + channels
            var dx = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
            let tiling = layout.tiling(scheduler: scheduler)
            let count = Double(layout.groupSize)
            let streams = scheduler.tiles.streams(outputLike: x)
            let scratchLength = planeDout.scratchLength(layout)
            try withBaseAddresses(x, cache.gamma, cache.mean, cache.inverseStd) { x, gammas, means, inverseStds in
                try dx.withUnsafeMutableBufferPointer { dxs in
                    let dx = dxs.baseAddress!
                    try FusedChain.forEachTile(tiling, workPerTile: 4 * tiling.tileRows * layout.groupSize, masks: scratchLength > 0,
                                              spanLength: scratchLength, as: T.self, scheduler: scheduler) { tile, scratch in
                        // Two groups' douts, swapped from group to group, and a plane for the pooled chain.
                        var current = scratch, next = scratch.map { $0 + layout.groupSize }
                        let temporary = scratch.map { $0 + 2 * layout.groupSize }
                        func target(_ slot: UnsafeMutablePointer<T>?, channel c: Int) -> UnsafeMutablePointer<T>? {
                            slot.map { $0 + c * layout.plane }
                        }
                        // Stores channel c's plane sums of `group` in its (sample, channel)
                        // partial slots and adds them into the group sums (Σdx̂, Σdx̂·x̂).
                        func record(_ sums: (dout: Double, doutCentered: Double), group: Int, channel c: Int,
                                    into groupSums: inout (Double, Double)) {
                            let slot = layout.sample(ofGroup: group) * channels + layout.firstChannel(ofGroup: group) + c
                            let doutXhat = sums.doutCentered * inverseStds[group]
                            partialDbeta[slot] = sums.dout
                            partialDgamma[slot] = doutXhat
                            let g = Double(gammas[layout.firstChannel(ofGroup: group) + c])
                            groupSums.0 += g * sums.dout
                            groupSums.1 += g * doutXhat
                        }
                        // The sweep that writes group q's dx also sums group q + 1, so that
                        // reading the next group from memory overlaps writing this one, and
                        // prefetches the plane of x it reads next (as the forward does).
                        var groupSums = (0.0, 0.0)
                        let first = tile.rows.lowerBound
                        for c in 0..<layout.channelsPerGroup {
                            let offset = first * layout.groupSize + c * layout.plane
                            let dout = planeDout.plane(group: first, channel: c, offset: offset, plane: layout.plane,
                                                       into: target(next, channel: c), temporary: temporary)
                            let sums = SpanSums.gradientSums(dout: dout, x: x + offset, count: layout.plane, mean: means[first])
                            record(sums, group: first, channel: c, into: &groupSums)
                        }
                        for group in tile.rows {
                            swap(&current, &next)
                            let start = group * layout.groupSize, mean = means[group], inverseStd = inverseStds[group]
                            let firstChannel = layout.firstChannel(ofGroup: group)
                            // dx = (1/σ̂)(dout·γ − mean(dx̂) − x̂·mean(dx̂·x̂)), with x̂ = (x − μ)/σ̂.
                            let b = T(-inverseStd * inverseStd * groupSums.1 / count)
                            let c0 = T(-inverseStd * groupSums.0 / count)
                            let hasNext = group + 1 < tile.rows.upperBound
                            groupSums = (0, 0)
                            for c in 0..<layout.channelsPerGroup {
                                let offset = start + c * layout.plane, nextOffset = offset + layout.groupSize
                                let a = T(Double(gammas[firstChannel + c]) * inverseStd)
                                let summing = hasNext ? (planeDout.plane(group: group + 1, channel: c, offset: nextOffset, plane: layout.plane,
                                                                         into: target(next, channel: c), temporary: temporary),
                                                         x + nextOffset, means[group + 1]) : nil
                                let sums = CenteredAffine.backward(
                                    dout: planeDout.stored(offset: offset, target: target(current, channel: c)), x: x + offset,
                                    mean: T(mean), a: a, b: b, c: c0, dx: dx + offset, count: layout.plane, summing: summing,
                                    prefetching: hasNext ? x + nextOffset + layout.plane : nil, streaming: streams)
                                if hasNext { record(sums, group: group + 1, channel: c, into: &groupSums) }
                            }
                        }
                        if streams { tessel_store_fence() }
                    }
                }
            }
            ChunkPartials.sum(partialDgamma, chunks: samples, width: channels, into: sumDgamma, scheduler: scheduler)
            ChunkPartials.sum(partialDbeta, chunks: samples, width: channels, into: sumDbeta, scheduler: scheduler)
            let dgamma = try Tensor<T>(shape: cache.gamma.shape, scalars: (0..<channels).lazy.map { T(sumDgamma[$0]) })
            let dbeta = try Tensor<T>(shape: cache.betaShape, scalars: (0..<channels).lazy.map { T(sumDbeta[$0]) })
            return NormalizationGradients(dx: dx, dgamma: dgamma, dbeta: dbeta)
        }
    }

    // MARK: - Validation (shared with the reference)

    /// The output shape for an input of shape `x` (`x` itself), once `eps`, `groups` and `x`
    /// are checked as `forward` checks them.
    /// - Throws: as `forward`, for these checks.
    public static func outputShape(x: [Int], parameters: Parameters) throws -> [Int] {
        try NormalizationChecks.eps(parameters.eps, layer: name)
        let groups = parameters.groups
        guard groups >= 1 else {
            throw TesselError.invalidParameter(component: name, parameter: "groups", value: "\(groups)", reason: "must be at least 1")
        }
        try NormalizationChecks.rank(x, 4, layout: "(N, C, H, W)", layer: name, argument: "x")
        let channels = x[1]
        guard channels % groups == 0 else {
            throw TesselError.invalidParameter(component: name, parameter: "groups", value: "\(groups)",
                                               reason: "must divide the channel count C = \(channels) of x of shape \(Shape.describe(x))")
        }
        guard channels * x[2] * x[3] > 0 else {
            throw TesselError.shapeMismatch(component: name, argument: "x",
                                            expected: "C ≥ 1 and H·W ≥ 1 (a group of no values has no mean or variance)", actual: x)
        }
        return x
    }

    static func validateForward<T>(x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>, parameters: Parameters) throws {
        _ = try outputShape(x: x.shape, parameters: parameters)
        let channels = x.shape[1]
        for (argument, tensor) in [("gamma", gamma), ("beta", beta)] where tensor.shape != [channels] && tensor.shape != [1, channels, 1, 1] {
            throw TesselError.shapeMismatch(component: name, argument: argument,
                                            expected: "(C,) = (\(channels),) or (1, C, 1, 1) = (1, \(channels), 1, 1) for x of shape \(Shape.describe(x.shape))",
                                            actual: tensor.shape)
        }
    }

    static func validateBackward<T>(dout: Tensor<T>, cache: Cache<T>) throws {
        try NormalizationChecks.dout(dout, x: cache.x, layer: name)
    }

    /// Where the groups of an (N, C, H, W) tensor lie: group `n·G + g` is the
    /// `(C/G)·H·W` contiguous values of sample n's channels `g·C/G ..< (g + 1)·C/G`.
    struct GroupLayout {
        /// N·G.
        let groupCount: Int
        let groups: Int
        let channelsPerGroup: Int
        /// H·W.
        let plane: Int
        /// Values per group, (C/G)·H·W.
        let groupSize: Int

        init(shape: [Int], groups: Int) {
            self.groups = groups
            groupCount = shape[0] * groups
            channelsPerGroup = shape[1] / groups
            plane = shape[2] * shape[3]
            groupSize = channelsPerGroup * plane
        }

        func sample(ofGroup group: Int) -> Int { group / groups }
        func firstChannel(ofGroup group: Int) -> Int { group % groups * channelsPerGroup }

        /// The sum of group `group`'s values, plane by plane: `((0 + Σ plane₀) + Σ plane₁) + …`,
        /// each plane summed by `SpanSums.sum` (which prefetches the next), the order the fused
        /// output sweep reproduces.
        func sum<T: TesselScalar>(_ x: UnsafePointer<T>, group: Int) -> Double {
            var total = 0.0
            for c in 0..<channelsPerGroup {
                let span = x + group * groupSize + c * plane
                total += SpanSums.sum(span, count: plane, prefetching: span + plane)
            }
            return total
        }

        /// Blocks of whole groups, about `elementsPerTile` values each, and up to 16 groups
        /// when there are enough groups for 32 such tiles: the forward sums a tile's first group
        /// in a sweep of its own (the others in the sweep that writes the group before), so
        /// longer tiles read more of memory while writing.
        func tiling(scheduler: Scheduler) -> Tiling {
            let groupsPerTile = max(1, scheduler.tiles.elementsPerTile / groupSize, min(16, groupCount / 32))
            return Tiling.split(groupCount, targetItemsPerTile: groupsPerTile)
        }
    }
}
