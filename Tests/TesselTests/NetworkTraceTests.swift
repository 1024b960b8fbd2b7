import Foundation
import Testing
@testable import Tessel
import TesselTestSupport

/// `NetworkTrace`: a step's tensors between the layers, recorded without changing a bit, and
/// `tessel diff`'s order naming the first layer where two steps part.
@Suite struct NetworkTraceTests {
    /// affine → batch norm → ReLU → dropout → affine → layer norm → ReLU → affine → softmax.
    static let definition = NetworkDefinition(
        input: [6],
        layers: [.affine(units: 5), .batchNorm(epsilon: 1e-5, momentum: 0.9), .relu, .dropout(keep: 0.7),
                 .affine(units: 5), .layerNorm(epsilon: 1e-5), .relu, .affine(units: 3)],
        loss: .softmax, weightScale: 0.5)

    static func batch(count: Int = 9) throws -> Dataset<Float> {
        try Dataset<Float>.random(count: count, exampleShape: definition.input, classes: try definition.classes(), seed: 4)
    }

    @Test func tracingChangesNoBitOfTheStep() throws {
        let network = try Network<Float>(Self.definition, seed: 2)
        let batch = try Self.batch()
        for shards in [1, 3] {
            let layout = try ShardLayout(batch: batch.count, shards: shards)
            var plain = network, traced = network
            var profile: NetworkProfile? = nil
            let expected = try plain.step(images: batch.images, labels: batch.labels, layout: layout, exchange: LocalExchange(),
                                          scheduler: try Scheduler(workers: 2), profile: &profile)
            let result = try traced.step(images: batch.images, labels: batch.labels, layout: layout, exchange: LocalExchange(),
                                         scheduler: try Scheduler(workers: 2), profile: &profile, tracing: true)
            #expect(expected.trace == nil && result.trace != nil)
            #expect(result.loss.bitPattern == expected.loss.bitPattern && result.scores.isBitwiseEqual(to: expected.scores))
            for (gradient, reference) in zip(result.gradients, expected.gradients) { #expect(gradient.isBitwiseEqual(to: reference)) }
            for (statistics, reference) in zip(traced.runningStatistics, plain.runningStatistics) {
                #expect(statistics?.mean.isBitwiseEqual(to: reference!.mean) ?? (reference == nil))
            }
        }
    }

    @Test func aTraceHoldsTheInputEveryOutputAndEveryInputGradientInStepOrder() throws {
        var network = try Network<Float>(Self.definition, seed: 2)
        let batch = try Self.batch()
        var profile: NetworkProfile? = nil
        let layout = try ShardLayout(batch: batch.count, shards: 3)
        let result = try network.step(images: batch.images, labels: batch.labels, layout: layout, exchange: LocalExchange(),
                                      profile: &profile, tracing: true)
        let trace = try #require(result.trace)
        let names = network.layerNames
        #expect(trace.entries.map(\.name) == ["input"] + names.map { $0 + ".out" } + ["loss.dx"] + names.reversed().map { $0 + ".dx" })
        #expect(trace.fileNames.first == "00-input.npy" && trace.fileNames[1] == "01-affine0.out.npy")
        #expect(trace.fileNames.last == "17-affine0.dx.npy" && trace.fileNames == trace.fileNames.sorted())
        // The shards are stacked back into the whole batch.
        #expect(trace.entries[0].tensor.isBitwiseEqual(to: batch.images))
        #expect(trace.entries[names.count].tensor.isBitwiseEqual(to: result.scores))
        for (index, name) in names.enumerated() {
            #expect(trace.entries[index + 1].tensor.shape == [batch.count] + network.outputShape(layer: index), "\(name)")
        }
        #expect(trace.entries.last!.tensor.shape == batch.images.shape)
        // Rows stay with their examples: softmax's dx is negative at the label only, and ReLU's
        // dx is zero wherever its input was not positive.
        let byName = Dictionary(uniqueKeysWithValues: trace.entries.map { ($0.name, $0.tensor) })
        let scoreGradient = try #require(byName["loss.dx"])
        for (row, label) in batch.labels.enumerated() {
            for c in 0..<network.classes { #expect((scoreGradient[row, c] < 0) == (c == label), "row \(row), class \(c)") }
        }
        for (index, name) in names.enumerated() where name.hasPrefix("relu") {
            let input = try #require(byName[names[index - 1] + ".out"]), dx = try #require(byName[name + ".dx"])
            #expect((0..<dx.count).contains { dx[flat: $0] != 0 }, "\(name)")
            for i in 0..<dx.count where input[flat: i] <= 0 { #expect(dx[flat: i] == 0, "\(name) element \(i)") }
        }
    }

    /// Two traces of one step are identical; a one-bit change in layer 4's weights leaves the
    /// input and the first four outputs alone and makes `05-affine4.out.npy` the first difference.
    @Test func diffNamesTheFirstLayerWhereTwoStepsPart() throws {
        let network = try Network<Float>(Self.definition, seed: 2)
        let batch = try Self.batch()
        func trace(_ network: Network<Float>, into folder: String) throws -> [String] {
            var copy = network
            var profile: NetworkProfile? = nil
            let result = try copy.step(images: batch.images, labels: batch.labels, scheduler: try Scheduler(workers: 2),
                                       profile: &profile, tracing: true)
            return try #require(result.trace).write(to: folder)
        }
        let first = try TemporaryFolder(), second = try TemporaryFolder(), perturbed = try TemporaryFolder()
        let written = try trace(network, into: first.path)
        #expect(written.count == 2 * Self.definition.layers.count + 2)
        _ = try trace(network, into: second.path)
        #expect(try DiffReport(comparing: first.path, second.path).isIdentical)

        var changed = network
        let index = try #require(changed.parameters.firstIndex { $0.name == "affine4.w" })
        var values = changed.parameters[index].value.scalars
        values[3] = Float(bitPattern: values[3].bitPattern ^ 1)
        changed.parameters[index].value = try Tensor(shape: changed.parameters[index].value.shape, scalars: values)
        _ = try trace(changed, into: perturbed.path)
        let report = try DiffReport(comparing: first.path, perturbed.path)
        #expect(report.firstDifference?.name == "05-affine4.out.npy")
        #expect(report.entries.prefix(5).allSatisfy { $0.isIdentical })
        #expect(report.entries.map(\.name) == written.map { ($0 as NSString).lastPathComponent })
    }

    @Test func writingReplacesAnEarlierTraceAndKeepsOtherFiles() throws {
        let folder = try TemporaryFolder()
        let stale = ["00-input.npy", "31-conv9.dx.npy", "99-x.npy"]
        for name in stale + ["notes.txt", "x.npy"] { try Data([1]).write(to: URL(fileURLWithPath: folder.path + "/" + name)) }
        var network = try Network<Float>(Self.definition, seed: 2)
        let batch = try Self.batch()
        var profile: NetworkProfile? = nil
        let result = try network.step(images: batch.images, labels: batch.labels, profile: &profile, tracing: true)
        let trace = try #require(result.trace)
        try trace.write(to: folder.path + "/")
        #expect(try folder.contents() == (trace.fileNames + ["notes.txt", "x.npy"]).sorted())
        #expect(try NPY.readTensor(from: folder.path + "/00-input.npy", as: Float.self).isBitwiseEqual(to: batch.images))
        // A folder that cannot be created is an error naming it.
        #expect(throws: TesselError.self) { try trace.write(to: folder.path + "/notes.txt/trace") }
    }

    @Test func aTrainerTracesTheLastStepOfAnEpochWhenAsked() throws {
        let data = try Self.batch(count: 23)
        let settings = TrainingSettings(optimizer: try OptimizerSettings(rule: .sgd, learningRate: 0.1), epochs: 1, batchSize: 10)
        var plain = Trainer(network: try Network<Float>(Self.definition, seed: 2), settings: settings)
        var traced = plain
        _ = try plain.trainEpoch(on: data, validation: data)
        #expect(plain.trace == nil)
        _ = try traced.trainEpoch(on: data, validation: data, tracing: true)
        let trace = try #require(traced.trace)
        // The epoch's last batch holds the 3 examples left over from two batches of 10.
        #expect(trace.entries.first?.tensor.shape == [3, 6])
        for (parameter, reference) in zip(traced.network.parameters, plain.network.parameters) {
            #expect(parameter.value.isBitwiseEqual(to: reference.value), "\(parameter.name)")
        }
    }
}
