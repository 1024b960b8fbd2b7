import Testing
@testable import Tessel
import TesselTestSupport

/// Fused chains (`FusionPlan`): a normalization and the ReLU after it, with or without the
/// dropout after that, and a spatial batch norm or group norm, ReLU and max pool, run as one
/// chain, give the bits of the layers run one by one — loss, gradients, updated parameters,
/// running statistics and scores — for every worker count, tile size, shard count and both
/// scalar types.
@Suite struct FusionTests {
    /// Spatial batch norm → ReLU on odd planes (5×5, too narrow for the max pool after it to
    /// join the chain), batch norm → ReLU on 23 features, layer norm → ReLU on 21 (a vector of
    /// 16 and a tail), and a ReLU after an affine layer, which does not fuse.
    static let convnet = NetworkDefinition(
        input: [2, 5, 5],
        layers: [.convolution(filters: 3, size: 3, stride: 1, pad: 1), .spatialBatchNorm(epsilon: 1e-5, momentum: 0.9), .relu,
                 .maxPool(size: 2, stride: 2), .affine(units: 23), .batchNorm(epsilon: 1e-5, momentum: 0.8), .relu,
                 .dropout(keep: 0.6), .affine(units: 21), .layerNorm(epsilon: 1e-5), .relu, .affine(units: 6), .relu,
                 .affine(units: 4)],
        loss: .softmax, weightScale: 0.5)

    /// Group norm → ReLU as the first layer (a fused chain there computes its dx and drops it) and
    /// after a convolution, on 7×7 and 3×3 planes.
    static let groupNormNet = NetworkDefinition(
        input: [4, 7, 7],
        layers: [.groupNorm(groups: 2, epsilon: 1e-5), .relu, .convolution(filters: 6, size: 3, stride: 2, pad: 0),
                 .groupNorm(groups: 3, epsilon: 1e-5), .relu, .affine(units: 5)],
        loss: .softmax, weightScale: 0.5)

    /// Spatial batch norm → ReLU → max pool on the input: 2×2 windows at stride 2 on 6×100
    /// planes (the interleaved rows: three vectors of 16 windows and a tail of two), then 3×3
    /// windows at stride 3 on 3×50 planes (16 windows a row, the last two columns in none), then
    /// spatial batch norm → ReLU → 3×3 max pool at stride 2, whose overlapping windows keep the
    /// pool out of the chain.
    /// `pooledBatch` makes one input channel constant.
    static let pooledNet = NetworkDefinition(
        input: [2, 6, 100],
        layers: [.spatialBatchNorm(epsilon: 1e-5, momentum: 0.9), .relu, .maxPool(size: 2, stride: 2),
                 .convolution(filters: 4, size: 3, stride: 1, pad: 1), .spatialBatchNorm(epsilon: 1e-5, momentum: 0.9), .relu,
                 .maxPool(size: 3, stride: 3), .convolution(filters: 3, size: 1, stride: 1, pad: 1),
                 .spatialBatchNorm(epsilon: 1e-5, momentum: 0.9), .relu, .maxPool(size: 3, stride: 2), .affine(units: 3)],
        loss: .softmax, weightScale: 0.5)

    /// Spatial batch norm → ReLU → 2×2 max pool chains on planes whose rows are whole vectors
    /// of 32 (`PooledChain.runsInRegisters`): 8×64 planes (two vectors of 16 windows a row),
    /// then after a convolution 4×32 planes (one).
    static let pooledRegisterNet = NetworkDefinition(
        input: [2, 8, 64],
        layers: [.spatialBatchNorm(epsilon: 1e-5, momentum: 0.9), .relu, .maxPool(size: 2, stride: 2),
                 .convolution(filters: 3, size: 3, stride: 1, pad: 1), .spatialBatchNorm(epsilon: 1e-5, momentum: 0.9), .relu,
                 .maxPool(size: 2, stride: 2), .affine(units: 3)],
        loss: .softmax, weightScale: 0.5)

    /// A random batch for `definition` whose input channels `channels` are 0.25 in every
    /// example: a spatial batch norm of such a channel, or a group norm of such a group,
    /// normalizes it to exactly β = 0, the ReLU's edge, and every pool window of it is a tie.
    static func batch<T: TesselScalar>(_ definition: NetworkDefinition, count: Int, constant channels: Range<Int>,
                                       as _: T.Type) throws -> Dataset<T> {
        let random = try NetworkTests.batch(definition, count: count, seed: 5, as: T.self)
        var scalars = random.images.withUnsafeBufferPointer { Array($0) }
        let plane = definition.input[1] * definition.input[2], example = definition.input[0] * plane
        for sample in 0..<count {
            for i in (channels.lowerBound * plane)..<(channels.upperBound * plane) { scalars[sample * example + i] = T(0.25) }
        }
        return try Dataset(images: try Tensor(shape: random.images.shape, scalars: scalars), labels: random.labels)
    }

    /// A batch for `pooledNet` whose channel 1 is constant.
    static func pooledBatch<T: TesselScalar>(count: Int, as _: T.Type) throws -> Dataset<T> {
        try batch(pooledNet, count: count, constant: 1..<2, as: T.self)
    }

    /// Group norm → ReLU → max pool on the input: 2×2 windows at stride 2 on 8×34 planes (a
    /// vector of 16 windows and a tail of one a row), then after a convolution 3×3 windows at
    /// stride 3 on 4×17 planes (the last row and two columns in none), then group norm → ReLU →
    /// 3×3 max pool at stride 2, whose overlapping windows keep the pool out of the chain.
    /// `groupPooledBatch` makes the first group constant.
    static let groupPooledNet = NetworkDefinition(
        input: [4, 8, 34],
        layers: [.groupNorm(groups: 2, epsilon: 1e-5), .relu, .maxPool(size: 2, stride: 2),
                 .convolution(filters: 6, size: 3, stride: 1, pad: 1), .groupNorm(groups: 3, epsilon: 1e-5), .relu,
                 .maxPool(size: 3, stride: 3), .convolution(filters: 4, size: 1, stride: 1, pad: 1),
                 .groupNorm(groups: 2, epsilon: 1e-5), .relu, .maxPool(size: 3, stride: 2), .affine(units: 3)],
        loss: .softmax, weightScale: 0.5)

    /// Group norm → ReLU → max pool on 16×16 planes in one group, whose pool takes two rows of
    /// 8 windows as one vector.
    static let groupPooledRowsNet = NetworkDefinition(
        input: [3, 16, 16],
        layers: [.groupNorm(groups: 1, epsilon: 1e-5), .relu, .maxPool(size: 2, stride: 2), .affine(units: 3)],
        loss: .svm, weightScale: 0.5)

    /// A batch for `groupPooledNet` whose first group (channels 0 and 1) is constant.
    static func groupPooledBatch<T: TesselScalar>(count: Int, as _: T.Type) throws -> Dataset<T> {
        try batch(groupPooledNet, count: count, constant: 0..<2, as: T.self)
    }

    /// Every normalization → ReLU → dropout chain: spatial batch norm on the input (planes of 6×7,
    /// so that spans and rows start inside the dropout generator's groups of 16), group norm
    /// after a convolution, layer norm on 37 features and batch norm on 29.
    static let droppedNet = NetworkDefinition(
        input: [3, 6, 7],
        layers: [.spatialBatchNorm(epsilon: 1e-5, momentum: 0.9), .relu, .dropout(keep: 0.7),
                 .convolution(filters: 4, size: 3, stride: 1, pad: 1), .groupNorm(groups: 2, epsilon: 1e-5), .relu, .dropout(keep: 0.5),
                 .affine(units: 37), .layerNorm(epsilon: 1e-5), .relu, .dropout(keep: 0.8),
                 .affine(units: 29), .batchNorm(epsilon: 1e-5, momentum: 0.8), .relu, .dropout(keep: 0.9), .affine(units: 4)],
        loss: .softmax, weightScale: 0.5)

    /// Batch norm right on the input, so a test can give it a constant feature (output exactly
    /// β = 0, the ReLU's edge) or a NaN feature; 19 features, past one vector of 16.
    static let fullyConnected = NetworkDefinition(
        input: [19],
        layers: [.batchNorm(epsilon: 1e-5, momentum: 0.9), .relu, .affine(units: 5), .batchNorm(epsilon: 1e-5, momentum: 0.9),
                 .relu, .affine(units: 3)],
        loss: .svm, weightScale: 0.5)

    /// What a step sequence ends with.
    struct Outcome<T: TesselScalar> {
        var losses: [T] = []
        var gradients: [Tensor<T>] = []
        var parameters: [Tensor<T>] = []
        var statistics: [Tensor<T>] = []
        var scores: [Tensor<T>] = []
    }

    /// Two SGD-momentum steps of a fresh network with `fusesChains` set to `fusion`.
    static func train<T: TesselScalar>(_ definition: NetworkDefinition, batch: Dataset<T>, fusion: Bool, shards: Int = 1,
                                       exchange: any ShardExchange = LocalExchange(), scheduler: Scheduler) throws -> Outcome<T> {
        var network = try Network<T>(definition, seed: 3)
        network.fusesChains = fusion
        var optimizer = Optimizer<T>(settings: try OptimizerSettings(rule: .sgdMomentum, learningRate: 0.1))
        let layout = try ShardLayout(batch: batch.count, shards: shards, rank: exchange.rank, ranks: exchange.ranks)
        let local = try batch.subset(layout.localRows)
        var outcome = Outcome<T>()
        for _ in 0..<2 {
            var profile: NetworkProfile? = nil
            let result = try network.step(images: local.images, labels: local.labels, layout: layout, exchange: exchange,
                                          scheduler: scheduler, profile: &profile)
            for index in network.parameters.indices {
                try optimizer.update(&network.parameters[index].value, gradient: result.gradients[index],
                                     name: network.parameters[index].name, scheduler: scheduler)
            }
            outcome.losses.append(result.loss)
            outcome.gradients = result.gradients
            outcome.scores.append(result.scores)
        }
        outcome.parameters = network.parameters.map(\.value)
        outcome.statistics = network.runningStatistics.compactMap { $0 }.flatMap { [$0.mean, $0.variance] }
        return outcome
    }

    static func expectBitwiseEqual<T>(_ a: Outcome<T>, _ b: Outcome<T>, _ label: String) throws {
        #expect(try Tensor(shape: [2], scalars: a.losses).isBitwiseEqual(to: try Tensor(shape: [2], scalars: b.losses)), "\(label): losses")
        #expect(a.gradients.count == b.gradients.count && a.statistics.count == b.statistics.count && !a.gradients.isEmpty,
                "\(label): counts")
        for (x, y) in zip(a.gradients, b.gradients) { #expect(x.isBitwiseEqual(to: y), "\(label): gradients") }
        for (x, y) in zip(a.parameters, b.parameters) { #expect(x.isBitwiseEqual(to: y), "\(label): parameters") }
        for (x, y) in zip(a.statistics, b.statistics) { #expect(x.isBitwiseEqual(to: y), "\(label): running statistics") }
        for (x, y) in zip(a.scores, b.scores) { #expect(x.isBitwiseEqual(to: y), "\(label): scores") }
    }

    /// `fullyConnected` with a dropout after its first batch norm → ReLU.
    static let fullyConnectedDropped = NetworkDefinition(
        input: [19],
        layers: [.batchNorm(epsilon: 1e-5, momentum: 0.9), .relu, .dropout(keep: 0.5), .affine(units: 5),
                 .batchNorm(epsilon: 1e-5, momentum: 0.9), .relu, .affine(units: 3)],
        loss: .svm, weightScale: 0.5)

    /// Every worker count and tile size, with small tiles that cut planes and rows into spans.
    static func schedulers() throws -> [(String, Scheduler)] {
        var schedulers: [(String, Scheduler)] = [("serial", .serial)]
        for workers in [1, 2, 3] {
            for tiles in determinismTileSettings + [TileSettings()] {
                schedulers.append(("\(workers) workers, \(tiles.elementsPerTile) per tile",
                                   try Scheduler(workers: workers, grainSize: 0, tiles: tiles)))
            }
        }
        return schedulers
    }

    static func expectFusedBits<T: TesselScalar>(_ definition: NetworkDefinition, batch: Dataset<T>, shards: Int) throws {
        for (label, scheduler) in try schedulers() {
            let unfused = try train(definition, batch: batch, fusion: false, shards: shards, scheduler: scheduler)
            let fused = try train(definition, batch: batch, fusion: true, shards: shards, scheduler: scheduler)
            try expectBitwiseEqual(fused, unfused, "\(T.self), \(shards) shards, \(label)")
        }
    }

    /// Batches of 40 give reductions chunks of several rows (`ItemChunks`), hence tiles of several.
    @Test(arguments: [(convnet, 12, 1), (convnet, 13, 3), (convnet, 40, 1), (fullyConnected, 11, 1), (fullyConnected, 40, 2),
                      (groupNormNet, 5, 1), (groupNormNet, 7, 2), (droppedNet, 6, 1), (droppedNet, 13, 3), (droppedNet, 40, 2)])
    func fusedChainsGiveTheBitsOfTheLayers(definition: NetworkDefinition, batchSize: Int, shards: Int) throws {
        try Self.expectFusedBits(definition, batch: try NetworkTests.batch(definition, count: batchSize, seed: 5, as: Float.self),
                                 shards: shards)
        try Self.expectFusedBits(definition, batch: try NetworkTests.batch(definition, count: batchSize, seed: 5, as: Double.self),
                                 shards: shards)
    }

    /// Spatial batch norm → ReLU → max pool chains, with a constant input channel, in one shard
    /// and in three.
    @Test(arguments: [(6, 1), (11, 3)])
    func pooledChainsGiveTheBitsOfTheLayers(batchSize: Int, shards: Int) throws {
        try Self.expectFusedBits(Self.pooledNet, batch: try Self.pooledBatch(count: batchSize, as: Float.self), shards: shards)
        try Self.expectFusedBits(Self.pooledNet, batch: try Self.pooledBatch(count: batchSize, as: Double.self), shards: shards)
    }

    /// The register path of the pooled chain, with a constant input channel, in one shard and
    /// in two, against the layers one by one.
    @Test(arguments: [(5, 1), (9, 2)])
    func pooledRegisterChainsGiveTheBitsOfTheLayers(batchSize: Int, shards: Int) throws {
        let window = PoolingWindow(poolHeight: 2, poolWidth: 2, stride: 2)
        for shape in [[batchSize, 2, 8, 64], [batchSize, 3, 4, 32]] {
            #expect(PooledChain<Float>.runsInRegisters(try PoolingGeometry(x: shape, window: window, layer: MaxPool.name)))
        }
        #expect(!PooledChain<Float>.runsInRegisters(try PoolingGeometry(x: [batchSize, 2, 6, 100], window: window, layer: MaxPool.name)))
        let plan = FusionPlan(layers: Self.pooledRegisterNet.layers, shapes: try Self.pooledRegisterNet.shapes(), enabled: true)
        #expect(plan.pooling[0] == window && plan.pooling[4] == window)
        for type in [Float.self, Double.self] as [any TesselScalar.Type] {
            try expect(type)
        }
        func expect<T: TesselScalar>(_: T.Type) throws {
            try Self.expectFusedBits(Self.pooledRegisterNet, batch: try Self.batch(Self.pooledRegisterNet, count: batchSize, constant: 1..<2,
                                                                                  as: T.self), shards: shards)
        }
    }

    /// Group norm → ReLU → max pool chains, with a constant first group, in one shard and in
    /// two; and on 16×16 planes.
    @Test(arguments: [(5, 1), (7, 2)])
    func groupPooledChainsGiveTheBitsOfTheLayers(batchSize: Int, shards: Int) throws {
        try Self.expectFusedBits(Self.groupPooledNet, batch: try Self.groupPooledBatch(count: batchSize, as: Float.self), shards: shards)
        try Self.expectFusedBits(Self.groupPooledNet, batch: try Self.groupPooledBatch(count: batchSize, as: Double.self), shards: shards)
        try Self.expectFusedBits(Self.groupPooledRowsNet, batch: try NetworkTests.batch(Self.groupPooledRowsNet, count: batchSize, seed: 5,
                                                                                        as: Float.self), shards: shards)
    }

    /// A constant feature normalizes to exactly β = 0, where the ReLU's mask is 0 (x > 0 fails
    /// for +0 and −0 alike); a NaN feature gives NaN, whose mask is 0 too; with a dropout after
    /// the ReLU as well.
    @Test(arguments: [(false, fullyConnected), (true, fullyConnected), (false, fullyConnectedDropped), (true, fullyConnectedDropped)])
    func edgesOfTheReLUMaskGiveTheSameBits(withNaN: Bool, definition: NetworkDefinition) throws {
        let count = 9, features = 19
        var scalars = (0..<(count * features)).map { Float(($0 * 37) % 23) / 7 - 1.5 }
        for row in 0..<count {
            scalars[row * features + 2] = 0.25
            scalars[row * features + 17] = -0.0
            if withNaN { scalars[row * features + 5] = row == 4 ? .nan : 1 }
        }
        let batch = try Dataset(images: try Tensor(shape: [count, features], scalars: scalars), labels: (0..<count).map { $0 % 3 })
        for (label, scheduler) in [("serial", Scheduler.serial), ("3 workers", try Scheduler(workers: 3, grainSize: 0,
                                                                                            tiles: determinismTileSettings[0]))] {
            let unfused = try Self.train(definition, batch: batch, fusion: false, scheduler: scheduler)
            let fused = try Self.train(definition, batch: batch, fusion: true, scheduler: scheduler)
            try Self.expectBitwiseEqual(fused, unfused, "NaN \(withNaN), \(label)")
            #expect(withNaN == fused.losses[0].isNaN)
        }
    }

    /// Ranks that each hold part of the shards give, fused, the bits of one unfused process.
    @Test func simulatedRanksFusedGiveTheUnfusedBits() throws {
        let batch = try NetworkTests.batch(Self.convnet, count: 13, seed: 5, as: Double.self)
        let scheduler = try Scheduler(workers: 2, grainSize: 0, tiles: determinismTileSettings[1])
        let one = try Self.train(Self.convnet, batch: batch, fusion: false, shards: 4, scheduler: scheduler)
        let group = SimulatedRanks(count: 3)
        let outcomes = try group.run { rank in
            try Self.train(Self.convnet, batch: batch, fusion: true, shards: 4, exchange: group.exchange(rank: rank), scheduler: scheduler)
        }
        for (rank, outcome) in outcomes.enumerated() {
            var rows = one
            rows.scores = []
            var own = outcome
            own.scores = []
            try Self.expectBitwiseEqual(own, rows, "rank \(rank)")
        }
        for step in 0..<2 {
            #expect(try Tensor.concatenatingRows(outcomes.map { $0.scores[step] }).isBitwiseEqual(to: one.scores[step]))
        }
    }

    @Test func planFusesBatchNormsWithTheReLUAfterThem() throws {
        let layers = Self.convnet.layers
        let plan = FusionPlan(layers: layers, shapes: try Self.convnet.shapes(), enabled: true)
        #expect(plan.appliesNextReLU.indices.filter { plan.appliesNextReLU[$0] } == [1, 5, 9])
        #expect(layers.indices.filter { plan.isFused($0) } == [2, 6, 7, 10] && !plan.pooling.contains { $0 != nil })
        #expect(plan.dropping[5] == 0.6 && plan.dropping.compactMap { $0 }.count == 1 && plan.layers(fusedInto: 5) == 6..<8)
        let droppedPlan = FusionPlan(layers: Self.droppedNet.layers, shapes: try Self.droppedNet.shapes(), enabled: true)
        #expect(Self.droppedNet.layers.indices.compactMap { droppedPlan.head(of: $0) } == [0, 0, 4, 4, 8, 8, 12, 12])
        #expect(droppedPlan.dropping == [0.7, nil, nil, nil, 0.5, nil, nil, nil, 0.8, nil, nil, nil, 0.9, nil, nil, nil])
        let groupNormPlan = FusionPlan(layers: Self.groupNormNet.layers, shapes: try Self.groupNormNet.shapes(), enabled: true)
        #expect(Self.groupNormNet.layers.indices.filter { groupNormPlan.isFused($0) } == [1, 4])
        #expect(!FusionPlan(layers: layers, shapes: try Self.convnet.shapes(), enabled: false).appliesNextReLU.contains(true))
        var network = try Network<Float>(Self.convnet, seed: 3)
        #expect(layers.indices.compactMap { network.layer(runningFused: $0) } == [1, 5, 5, 9])
        let pooledPlan = FusionPlan(layers: Self.pooledNet.layers, shapes: try Self.pooledNet.shapes(), enabled: true)
        #expect(Self.pooledNet.layers.indices.compactMap { pooledPlan.head(of: $0) } == [0, 0, 4, 4, 8])
        #expect(pooledPlan.pooling[0] == PoolingWindow(poolHeight: 2, poolWidth: 2, stride: 2))
        #expect(pooledPlan.pooling[4] == PoolingWindow(poolHeight: 3, poolWidth: 3, stride: 3))
        #expect(pooledPlan.pooling[8] == nil && pooledPlan.appliesNextReLU[8], "overlapping windows: the ReLU alone is fused")
        #expect(pooledPlan.layers(fusedInto: 0) == 1..<3 && pooledPlan.layers(fusedInto: 8) == 9..<10
                && pooledPlan.layers(fusedInto: 3).isEmpty)
        let groupPooledPlan = FusionPlan(layers: Self.groupPooledNet.layers, shapes: try Self.groupPooledNet.shapes(), enabled: true)
        #expect(Self.groupPooledNet.layers.indices.compactMap { groupPooledPlan.head(of: $0) } == [0, 0, 4, 4, 8])
        #expect(groupPooledPlan.pooling[4] == PoolingWindow(poolHeight: 3, poolWidth: 3, stride: 3))
        #expect(groupPooledPlan.pooling[8] == nil && groupPooledPlan.appliesNextReLU[8], "overlapping windows: the ReLU alone is fused")
        #expect(network.layer(runningFused: 2) == 1 && network.layer(runningFused: 12) == nil)
        network.fusesChains = false
        #expect(layers.indices.allSatisfy { network.layer(runningFused: $0) == nil })
    }

    /// A traced step runs every layer on its own, so its trace holds the batch norm's own
    /// output; its results are the fused step's bits.
    @Test func tracedStepRecordsEveryLayerWithTheFusedBits() throws {
        let batch = try NetworkTests.batch(Self.convnet, count: 6, seed: 5, as: Float.self)
        var fused = try Network<Float>(Self.convnet, seed: 3)
        var traced = fused
        var profile: NetworkProfile? = nil
        let a = try fused.step(images: batch.images, labels: batch.labels, scheduler: .serial)
        let b = try traced.step(images: batch.images, labels: batch.labels, scheduler: .serial, profile: &profile, tracing: true)
        #expect(a.scores.isBitwiseEqual(to: b.scores) && a.gradients.count == b.gradients.count)
        for (x, y) in zip(a.gradients, b.gradients) { #expect(x.isBitwiseEqual(to: y)) }
        let normalized = try #require(b.trace?.entries.first { $0.name == "spatial_batchnorm1.out" }?.tensor)
        #expect(normalized.withUnsafeBufferPointer { $0.contains { $0 < 0 } }, "the batch norm's own output, before the ReLU")
    }

    /// `tessel run`'s report names the layer a fused ReLU ran in, and gives it no time and no rate of its own.
    @Test func runReportMarksFusedLayers() throws {
        var workload = try Workload.load(from: "config/default.json")
        workload.run.warmup = 0
        let batch = try Dataset<Float>.random(count: 4, exampleShape: workload.network.input, classes: try workload.network.classes(), seed: 1)
        for fusion in [true, false] {
            let report = try workload.measure(steps: 1, batch: batch, scheduler: try Scheduler(workers: 2), fusion: fusion)
            let fused = report.layers.filter { $0.fusedInto != nil }
            #expect(fused.map(\.name) == (fusion ? ["relu2", "maxpool3"] : []) && fused.allSatisfy { $0.fusedInto == "spatial_batchnorm1" })
            #expect(fused.allSatisfy { $0.forwardMilliseconds == 0 && $0.backwardMilliseconds == 0 && $0.gigaflopsPerSecond == 0 })
            #expect(report.layers.allSatisfy { $0.gigaflopsPerSecond.isFinite && $0.gigaflopsPerSecond < 1e5 })
        }
    }

    /// A fused ReLU takes no backward time of its own: the batch norm's row holds it.
    @Test func fusedReLUHasNoBackwardTime() throws {
        let batch = try NetworkTests.batch(Self.convnet, count: 6, seed: 5, as: Float.self)
        var network = try Network<Float>(Self.convnet, seed: 3)
        var profile: NetworkProfile? = NetworkProfile(layers: Self.convnet.layers.count)
        _ = try network.step(images: batch.images, labels: batch.labels, scheduler: .serial, profile: &profile)
        let backward = try #require(profile?.backward)
        #expect(backward[2] == .zero && backward[6] == .zero && backward[10] == .zero)
        #expect(backward[1] > .zero && backward[9] > .zero && backward[12] > .zero)
    }
}
