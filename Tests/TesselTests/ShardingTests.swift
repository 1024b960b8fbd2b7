import Testing
@testable import Tessel
import TesselTestSupport

/// The sharded step: R simulated ranks give the bits of one process with the same shards;
/// shards change the rounding but not the values; bad layouts are refused.
@Suite struct ShardingTests {
    /// Every reduction the sharded step exchanges: convolution and affine weight gradients,
    /// spatial batch norm, batch norm, dropout (global mask), softmax loss.
    static let network = NetworkDefinition(
        input: [2, 6, 6],
        layers: [.convolution(filters: 3, size: 3, stride: 1, pad: 1), .spatialBatchNorm(epsilon: 1e-5, momentum: 0.9), .relu,
                 .maxPool(size: 2, stride: 2), .affine(units: 7), .batchNorm(epsilon: 1e-5, momentum: 0.8), .relu,
                 .dropout(keep: 0.6), .affine(units: 4)],
        loss: .softmax, weightScale: 0.5)

    /// The SVM loss and an odd batch (shards of unequal size).
    static let svmNetwork = NetworkDefinition(
        input: [5],
        layers: [.affine(units: 6), .batchNorm(epsilon: 1e-5, momentum: 0.9), .relu, .dropout(keep: 0.5), .affine(units: 3)],
        loss: .svm, weightScale: 0.5)

    /// What a rank ends with after `steps` SGD steps: loss of each step, last gradients,
    /// parameters, running statistics, and its rows of the last scores.
    struct Outcome<T: TesselScalar>: Sendable {
        var losses: [T]
        var gradients: [Tensor<T>]
        var parameters: [Tensor<T>]
        var statistics: [Tensor<T>]
        var scores: Tensor<T>
    }

    static func train<T: TesselScalar>(_ definition: NetworkDefinition, batch: Dataset<T>, shards: Int, exchange: any ShardExchange,
                                       steps: Int = 2) throws -> Outcome<T> {
        var network = try Network<T>(definition, seed: 3)
        var optimizer = Optimizer<T>(settings: try OptimizerSettings(rule: .sgdMomentum, learningRate: 0.1))
        let layout = try ShardLayout(batch: batch.count, shards: shards, rank: exchange.rank, ranks: exchange.ranks)
        let local = try batch.subset(layout.localRows)
        var losses: [T] = [], last: Network<T>.StepResult? = nil
        for _ in 0..<steps {
            var profile: NetworkProfile? = nil
            let result = try network.step(images: local.images, labels: local.labels, layout: layout, exchange: exchange,
                                          scheduler: .serial, profile: &profile)
            for index in network.parameters.indices {
                try optimizer.update(&network.parameters[index].value, gradient: result.gradients[index],
                                     name: network.parameters[index].name, scheduler: .serial)
            }
            losses.append(result.loss)
            last = result
        }
        return Outcome(losses: losses, gradients: last!.gradients, parameters: network.parameters.map(\.value),
                       statistics: network.runningStatistics.compactMap { $0 }.flatMap { [$0.mean, $0.variance] },
                       scores: last!.scores)
    }

    static func expectBitwiseEqual<T>(_ a: Outcome<T>, _ b: Outcome<T>, _ label: String) throws {
        let losses = (try Tensor(shape: [a.losses.count], scalars: a.losses), try Tensor(shape: [b.losses.count], scalars: b.losses))
        #expect(losses.0.isBitwiseEqual(to: losses.1), "\(label): losses")
        #expect(a.gradients.count == b.gradients.count && a.parameters.count == b.parameters.count
                 && a.statistics.count == b.statistics.count, "\(label): counts")
        for (x, y) in zip(a.gradients, b.gradients) { #expect(x.isBitwiseEqual(to: y), "\(label): gradients") }
        for (x, y) in zip(a.parameters, b.parameters) { #expect(x.isBitwiseEqual(to: y), "\(label): parameters") }
        for (x, y) in zip(a.statistics, b.statistics) { #expect(x.isBitwiseEqual(to: y), "\(label): running statistics") }
    }

    @Test(arguments: [(network, 12, 4), (network, 12, 6), (svmNetwork, 13, 4)])
    func simulatedRanksGiveTheBitsOfOneProcess(definition: NetworkDefinition, batchSize: Int, shards: Int) throws {
        try Self.expectOneProcessBits(definition, batch: try NetworkTests.batch(definition, count: batchSize, seed: 5, as: Float.self),
                                      shards: shards)
        // In Float64 the order of the folds shows in the last bits (Float32 partials summed in
        // Double are mostly exact), so this catches a rank that folds in another order.
        try Self.expectOneProcessBits(definition, batch: try NetworkTests.batch(definition, count: batchSize, seed: 5, as: Double.self),
                                      shards: shards)
    }

    static func expectOneProcessBits<T: TesselScalar>(_ definition: NetworkDefinition, batch: Dataset<T>, shards: Int) throws {
        let one = try Self.train(definition, batch: batch, shards: shards, exchange: LocalExchange())
        // Ranks that divide the shards and ranks that do not (3 ranks of 4 shards hold 1, 1 and 2).
        for ranks in Array(Set([2, 3, shards - 1, shards])).sorted() {
            let group = SimulatedRanks(count: ranks)
            let outcomes = try group.run { rank in try Self.train(definition, batch: batch, shards: shards, exchange: group.exchange(rank: rank)) }
            for (rank, outcome) in outcomes.enumerated() { try Self.expectBitwiseEqual(outcome, one, "\(ranks) ranks, rank \(rank)") }
            #expect(try Tensor.concatenatingRows(outcomes.map(\.scores)).isBitwiseEqual(to: one.scores))
        }
    }

    /// Shards change the order of the additions, so some bits differ (the equality above is not
    /// automatic), while in Float64 the values agree with the unsharded step.
    @Test func shardsChangeRoundingButNotValues() throws {
        let definition = Self.network
        let batch = try NetworkTests.batch(definition, count: 12, seed: 5, as: Float.self)
        let one = try Self.train(definition, batch: batch, shards: 1, exchange: LocalExchange(), steps: 1)
        let four = try Self.train(definition, batch: batch, shards: 4, exchange: LocalExchange(), steps: 1)
        #expect(one.gradients.count == four.gradients.count && !one.gradients.isEmpty)
        #expect(zip(one.gradients, four.gradients).contains { !$0.isBitwiseEqual(to: $1) })
        #expect(one.scores.isBitwiseEqual(to: four.scores))

        var network = try Network<Double>(definition, seed: 3)
        var copy = network
        let doubles = try NetworkTests.batch(definition, count: 12, seed: 5, as: Double.self)
        let whole = try network.step(images: doubles.images, labels: doubles.labels, scheduler: .serial)
        var profile: NetworkProfile? = nil
        let sharded = try copy.step(images: doubles.images, labels: doubles.labels, layout: try ShardLayout(batch: 12, shards: 4),
                                    exchange: LocalExchange(), scheduler: .serial, profile: &profile)
        #expect(abs(whole.loss - sharded.loss) <= 1e-12 * abs(whole.loss))
        #expect(whole.gradients.count == network.parameters.count && sharded.gradients.count == whole.gradients.count)
        // A bias right before a batch norm has a gradient of rounding noise only (the norm cancels it).
        for (index, (a, b)) in zip(whole.gradients, sharded.gradients).enumerated()
        where !NetworkTests.isCancelledByBatchNorm(network.parameters[index].name, in: network) {
            #expect(normwiseRelativeError(a, b) <= 1e-12, "\(network.parameters[index].name)")
        }
        let statistics = (network.runningStatistics.compactMap { $0 }, copy.runningStatistics.compactMap { $0 })
        #expect(statistics.0.count == statistics.1.count && !statistics.0.isEmpty)
        for (a, b) in zip(statistics.0, statistics.1) {
            #expect(normwiseRelativeError(a.mean, b.mean) <= 1e-12 && normwiseRelativeError(a.variance, b.variance) <= 1e-12)
        }
    }

    @Test(arguments: [1, 2, 3])
    func sharedAccuracyIsTheOneProcessAccuracy(ranks: Int) throws {
        let network = try Network<Float>(Self.network, seed: 3)
        let data = try NetworkTests.batch(Self.network, count: 23, seed: 6, as: Float.self)
        let expected = try network.accuracy(on: data, batchSize: 4, scheduler: .serial)
        let group = SimulatedRanks(count: ranks)
        let shared = try group.run { rank in try network.accuracy(on: data, batchSize: 4, scheduler: .serial, exchange: group.exchange(rank: rank)) }
        #expect(shared == Array(repeating: expected, count: ranks))
    }

    @Test func dropoutOnRowsFromAnIndexIsThoseRowsOfTheWholeMask() throws {
        let x = try TestData.uniform([7, 19], as: Float.self)
        let parameters = Dropout.Parameters(p: 0.6, seed: 11)
        let whole = try Dropout.forward(x: x, parameters: parameters, scheduler: .serial)
        for rows in [0..<3, 3..<4, 4..<7] {
            let part = try Dropout.forward(x: try x.rows(rows), parameters: parameters, firstIndex: rows.lowerBound * 19, scheduler: .serial)
            #expect(part.out.isBitwiseEqual(to: try whole.out.rows(rows)))
            #expect(part.mask!.isBitwiseEqual(to: try whole.mask!.rows(rows)))
        }
    }

    /// The reduce-scatter's slices cover the flattened gradients once, in rank order.
    @Test(arguments: [(10, 3), (3, 4), (1000, 7), (0, 2)])
    func gradientSlicesCoverTheGradientsOnce(elements: Int, ranks: Int) {
        let slices = GradientSlices(elements: elements, ranks: ranks)
        let ranges = (0..<ranks).map { slices.range(of: $0) }
        #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == elements)
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        #expect(ranges.allSatisfy { $0.count >= elements / ranks && $0.count <= elements / ranks + 1 })
    }

    @Test func layoutCutsBatchesAndRanks() throws {
        let layout = try ShardLayout(batch: 10, shards: 4, rank: 1, ranks: 2)
        #expect((0..<4).map { layout.rows(of: $0) } == [0..<2, 2..<5, 5..<7, 7..<10])
        #expect(layout.localShards == 2..<4 && layout.localRows == 5..<10)
        #expect(throws: TesselError.self) { try ShardLayout(batch: 3, shards: 4) }
        #expect(throws: TesselError.self) { try ShardLayout(batch: 8, shards: 0) }
        let uneven = try ShardLayout(batch: 8, shards: 4, rank: 2, ranks: 3)
        #expect((0..<3).map { uneven.shards(of: $0) } == [0..<1, 1..<2, 2..<4] && uneven.localRows == 4..<8)
        #expect(throws: TesselError.self) { try ShardLayout(batch: 8, shards: 4, rank: 0, ranks: 5) }
        #expect(throws: TesselError.self) { try ShardLayout(batch: 8, shards: 4, rank: 2, ranks: 2) }
    }

    @Test func stepRefusesRowsOrExchangeThatDoNotFitTheLayout() throws {
        var network = try Network<Float>(Self.network, seed: 3)
        let batch = try NetworkTests.batch(Self.network, count: 6, seed: 5, as: Float.self)
        var profile: NetworkProfile? = nil
        #expect(throws: TesselError.shapeMismatch(component: "network", argument: "images", expected: "3 rows, rank 0's part of a batch of 6",
                                                  actual: [6, 2, 6, 6])) {
            _ = try network.step(images: batch.images, labels: batch.labels, layout: try ShardLayout(batch: 6, shards: 2, rank: 0, ranks: 2),
                             exchange: LocalExchange(), scheduler: .serial, profile: &profile)
        }
        #expect(throws: TesselError.invalidParameter(component: "network", parameter: "exchange", value: "rank 0 of 1",
                                                     reason: "the layout is rank 1 of 2")) {
            let half = try batch.subset(3..<6)
            _ = try network.step(images: half.images, labels: half.labels, layout: try ShardLayout(batch: 6, shards: 2, rank: 1, ranks: 2),
                             exchange: LocalExchange(), scheduler: .serial, profile: &profile)
        }
        #expect(network.stepCount == 0)
    }

    @Test func trainerRefusesALastBatchSmallerThanTheShardsBeforeAnyStep() throws {
        let data = try NetworkTests.batch(Self.network, count: 11, seed: 5, as: Float.self)
        let settings = TrainingSettings(optimizer: try OptimizerSettings(rule: .sgd), epochs: 1, batchSize: 5, shards: 2)
        var trainer = Trainer(network: try Network<Float>(Self.network, seed: 3), settings: settings)
        #expect(throws: TesselError.self) { try trainer.trainEpoch(on: data, validation: data, scheduler: .serial) }
        #expect(trainer.network.stepCount == 0)
    }

    @Test func rowsAndConcatenation() throws {
        let x = try TestData.uniform([5, 2, 3], as: Double.self)
        let parts = [try x.rows(0..<2), try x.rows(2..<2), try x.rows(2..<5)]
        #expect(parts.map(\.shape) == [[2, 2, 3], [0, 2, 3], [3, 2, 3]])
        #expect(try Tensor.concatenatingRows(parts).isBitwiseEqual(to: x))
        #expect(throws: TesselError.self) { try x.rows(4..<6) }
        #expect(throws: TesselError.self) { try Tensor<Double>.concatenatingRows([]) }
        #expect(throws: TesselError.self) { try Tensor.concatenatingRows([x, try Tensor<Double>(shape: [1, 3, 2])]) }
    }
}
