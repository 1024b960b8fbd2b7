import Testing
@testable import Tessel
import TesselTestSupport

/// Whole networks: numerical gradient checks in Float64, tiled against reference, determinism, bad input.
@Suite struct NetworkTests {
    /// conv → spatial batch norm → ReLU → max pool → affine → softmax, on 3 images of 2×6×6.
    static let convNet = NetworkDefinition(
        input: [2, 6, 6],
        layers: [.convolution(filters: 3, size: 3, stride: 1, pad: 1), .spatialBatchNorm(epsilon: 1e-5, momentum: 0.9), .relu,
                 .maxPool(size: 2, stride: 2), .affine(units: 4)],
        loss: .softmax, weightScale: 0.5)

    /// affine → batch norm → ReLU → dropout → affine → layer norm → ReLU → dropout → affine → softmax.
    static let fullyConnected = NetworkDefinition(
        input: [6],
        layers: [.affine(units: 5), .batchNorm(epsilon: 1e-5, momentum: 0.9), .relu, .dropout(keep: 0.7),
                 .affine(units: 5), .layerNorm(epsilon: 1e-5), .relu, .dropout(keep: 0.7), .affine(units: 3)],
        loss: .softmax, weightScale: 0.5)

    /// Group norm and the SVM loss.
    static let groupNormNet = NetworkDefinition(
        input: [4, 4, 4],
        layers: [.convolution(filters: 4, size: 3, stride: 1, pad: 1), .groupNorm(groups: 2, epsilon: 1e-5), .relu,
                 .maxPool(size: 2, stride: 2), .affine(units: 3)],
        loss: .svm, weightScale: 0.5)

    static func batch<T: TesselScalar>(_ definition: NetworkDefinition, count: Int, seed: UInt64, as _: T.Type = T.self) throws -> Dataset<T> {
        try Dataset<T>.random(count: count, exampleShape: definition.input, classes: try definition.classes(), seed: seed)
    }

    /// Central differences of the loss with respect to every parameter, each evaluated on a
    /// copy of `network` (so every evaluation draws the same dropout masks).
    static func numericalGradients(_ network: Network<Double>, _ batch: Dataset<Double>) throws -> [Tensor<Double>] {
        try network.parameters.indices.map { index in
            try numericalGradient({ (value: Tensor<Double>) -> Double in
                var probe = network
                probe.parameters[index].value = value
                return try probe.step(images: batch.images, labels: batch.labels, scheduler: .serial).loss
            }, at: network.parameters[index].value)
        }
    }

    /// Whether `name` is the bias of a layer followed directly by a batch norm.
    static func isCancelledByBatchNorm(_ name: String, in network: Network<Double>) -> Bool {
        guard name.hasSuffix(".b"), let index = network.layerNames.firstIndex(of: String(name.dropLast(2))),
              index + 1 < network.definition.layers.count else { return false }
        let next = network.definition.layers[index + 1].kind
        return next is BatchNormKind || next is SpatialBatchNormKind
    }

    @Test(arguments: [convNet, fullyConnected, groupNormNet])
    func gradientsMatchCentralDifferences(definition: NetworkDefinition) throws {
        var network = try Network<Double>(definition, seed: 7)
        let batch = try Self.batch(definition, count: 4, seed: 8, as: Double.self)
        let numeric = try Self.numericalGradients(network, batch)
        let analytic = try network.step(images: batch.images, labels: batch.labels, scheduler: .serial)
        #expect(analytic.gradients.count == network.parameters.count)
        for (index, parameter) in network.parameters.enumerated() {
            let error = maxRelativeError(analytic.gradients[index], numeric[index])
            if Self.isCancelledByBatchNorm(parameter.name, in: network) {
                // A batch norm subtracts any shift its input gets, so this bias's gradient is 0:
                // central differences give only roundoff (~1e-11), which rel_error's 1e-8 floor
                // would inflate to ~1e-3. Both must be zero to roundoff instead.
                #expect(analytic.gradients[index].scalars.allSatisfy { abs($0) < 1e-14 }, "\(parameter.name)")
                #expect(numeric[index].scalars.allSatisfy { abs($0) < 1e-9 }, "\(parameter.name)")
            } else {
                #expect(error < 1e-7, "\(parameter.name): relative error \(error)")
            }
        }
    }

    /// `Network.check` reports every layer and the loss, each within its rel_error bound.
    @Test(arguments: [convNet, fullyConnected, groupNormNet])
    func checkReportsEveryLayer(definition: NetworkDefinition) throws {
        let network = try Network<Double>(definition, seed: 3)
        let batch = try Self.batch(definition, count: 5, seed: 4, as: Double.self)
        let checks = try network.check(images: batch.images, labels: batch.labels, scheduler: try Scheduler(workers: 3, grainSize: 0))
        #expect(checks.map(\.layer) == network.layerNames + ["loss"])
        // 1e-7 rather than roundoff: a convolution's db before a batch norm is 0 up to roundoff,
        // which rel_error's 1e-8 floor inflates to ~1e-8 (everyLayerMatchesItsReference is the tight check).
        for check in checks { #expect(check.maximum < 1e-7, "\(check.layer): \(check)") }
    }

    /// Each layer's tiled kernels against its serial reference in Float64, given the same input
    /// and upstream gradient (as `Network.check` runs them), normwise to 1e-12 as the layer
    /// suites compare: a few roundoffs, not rel_error's element-wise 1e-7. The running statistics
    /// are compared too. A bias right before a batch norm has a gradient of roundoff only: there
    /// both must be zero to roundoff instead.
    @Test(arguments: [convNet, fullyConnected, groupNormNet])
    func everyLayerMatchesItsReference(definition: NetworkDefinition) throws {
        let network = try Network<Double>(definition, seed: 3)
        let batch = try Self.batch(definition, count: 5, seed: 4, as: Double.self)
        let tiled = Backend.tiled(try Scheduler(workers: 3, grainSize: 0)), seed = network.dropoutSeed()
        var tiledStatistics = network.runningStatistics, referenceStatistics = network.runningStatistics
        var saved: [(tiled: LayerRecord<Double>, reference: LayerRecord<Double>)] = []
        var x = batch.images
        for index in definition.layers.indices {
            let name = network.layerNames[index]
            let (out, record) = try network.forward(layer: index, x, mode: .train, backend: tiled,
                                                    statistics: &tiledStatistics[index], dropoutSeed: seed)
            let (expected, referenceRecord) = try network.forward(layer: index, x, mode: .train, backend: .reference,
                                                                  statistics: &referenceStatistics[index], dropoutSeed: seed)
            #expect(normwiseRelativeError(out, expected) <= 1e-12, "\(name) forward")
            #expect((tiledStatistics[index] == nil) == (referenceStatistics[index] == nil), "\(name) running statistics")
            if let statistics = tiledStatistics[index], let reference = referenceStatistics[index] {
                #expect(normwiseRelativeError(statistics.mean, reference.mean) <= 1e-12, "\(name) running mean")
                #expect(normwiseRelativeError(statistics.variance, reference.variance) <= 1e-12, "\(name) running variance")
            }
            saved.append((record, referenceRecord))
            x = out
        }
        let loss = try network.loss(scores: x, labels: batch.labels, backend: tiled)
        let referenceLoss = try network.loss(scores: x, labels: batch.labels, backend: .reference)
        #expect(abs(loss.loss - referenceLoss.loss) <= 1e-12 * abs(referenceLoss.loss))
        #expect(normwiseRelativeError(loss.dx, referenceLoss.dx) <= 1e-12, "loss dx")
        var dout = loss.dx
        for index in definition.layers.indices.reversed() {
            let name = network.layerNames[index]
            let (dx, gradients) = try network.backward(layer: index, dout, saved[index].tiled, backend: tiled)
            let (expectedDx, expectedGradients) = try network.backward(layer: index, dout, saved[index].reference, backend: .reference)
            #expect(normwiseRelativeError(dx, expectedDx) <= 1e-12, "\(name) dx")
            let parameters = network.layerParameters(index).map(\.name)
            #expect(gradients.count == parameters.count && expectedGradients.count == parameters.count, "\(name) gradients")
            for (parameter, (gradient, expected)) in zip(parameters, zip(gradients, expectedGradients)) {
                if Self.isCancelledByBatchNorm(parameter, in: network) {
                    #expect(gradient.scalars.allSatisfy { abs($0) < 1e-14 } && expected.scalars.allSatisfy { abs($0) < 1e-14 }, "\(parameter)")
                } else {
                    #expect(normwiseRelativeError(gradient, expected) <= 1e-12, "\(parameter)")
                }
            }
            dout = dx
        }
    }

    /// The same step on 1–8 workers and other tile sizes gives the same bits.
    @Test func stepIsBitwiseDeterministic() throws {
        for definition in [Self.convNet, Self.fullyConnected, Self.groupNormNet] {
            let network = try Network<Float>(definition, seed: 5)
            let batch = try Self.batch(definition, count: 7, seed: 6, as: Float.self)
            var serial = network
            let expected = try serial.step(images: batch.images, labels: batch.labels, scheduler: .serial)
            let schedulers = determinismSchedulers
            for scheduler in schedulers {
                var copy = network
                let result = try copy.step(images: batch.images, labels: batch.labels, scheduler: scheduler)
                #expect(result.loss.bitPattern == expected.loss.bitPattern)
                #expect(result.gradients.count == expected.gradients.count)
                for (gradient, reference) in zip(result.gradients, expected.gradients) { #expect(gradient.isBitwiseEqual(to: reference)) }
                #expect(copy.runningStatistics.count == serial.runningStatistics.count)
                for (statistics, reference) in zip(copy.runningStatistics, serial.runningStatistics) {
                    #expect(statistics?.mean.isBitwiseEqual(to: reference!.mean) ?? (reference == nil))
                    #expect(statistics?.variance.isBitwiseEqual(to: reference!.variance) ?? (reference == nil))
                }
            }
        }
    }

    @Test func parametersAreInitialisedAsInCS231n() throws {
        let network = try Network<Double>(Self.fullyConnected, seed: 1)
        #expect(network.parameters.map(\.name) == ["affine0.w", "affine0.b", "batchnorm1.gamma", "batchnorm1.beta",
                                                    "affine4.w", "affine4.b", "layernorm5.gamma", "layernorm5.beta", "affine8.w", "affine8.b"])
        #expect(network.parameter(named: "affine0.w")!.shape == [6, 5])
        #expect(network.parameter(named: "affine0.b")!.scalars.allSatisfy { $0 == 0 })
        #expect(network.parameter(named: "batchnorm1.gamma")!.scalars.allSatisfy { $0 == 1 })
        #expect(network.parameter(named: "layernorm5.beta")!.scalars.allSatisfy { $0 == 0 })
        let weights = try Network<Double>(NetworkDefinition(input: [100], layers: [.affine(units: 100)], weightScale: 0.01), seed: 2)
            .parameter(named: "affine0.w")!.scalars
        let mean = weights.reduce(0, +) / Double(weights.count)
        let deviation = (weights.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(weights.count)).squareRoot()
        #expect(abs(mean) < 3e-4 && abs(deviation - 0.01) < 3e-4)
        #expect(try Network<Double>(Self.fullyConnected, seed: 1).parameters.map(\.value) == network.parameters.map(\.value))
        #expect(try Network<Double>(Self.fullyConnected, seed: 2).parameters[0].value != network.parameters[0].value)
    }

    /// Each training step draws new dropout masks; test-mode scores use none.
    @Test func dropoutMasksChangeEveryStepAndNotInTestMode() throws {
        var network = try Network<Double>(NetworkDefinition(input: [8], layers: [.dropout(keep: 0.5), .affine(units: 2)]), seed: 1)
        let batch = try Self.batch(network.definition, count: 4, seed: 2, as: Double.self)
        let first = try network.step(images: batch.images, labels: batch.labels).gradients[0]
        let second = try network.step(images: batch.images, labels: batch.labels).gradients[0]
        #expect(first != second && network.stepCount == 2)
        #expect(try network.scores(images: batch.images) == network.scores(images: batch.images))
    }

    @Test func rejectsBatchesThatDoNotFit() throws {
        var network = try Network<Float>(Self.convNet)
        #expect(throws: TesselError.shapeMismatch(component: "network", argument: "images", expected: "(N, 2, 6, 6) with N ≥ 1", actual: [3, 2, 6, 5])) {
            _ = try network.step(images: try Tensor(shape: [3, 2, 6, 5]), labels: [0, 1, 2])
        }
        #expect(throws: TesselError.shapeMismatch(component: "network", argument: "labels", expected: "(3,), one per image", actual: [2])) {
            _ = try network.step(images: try Tensor(shape: [3, 2, 6, 6]), labels: [0, 1])
        }
        let statistics = network.runningStatistics[1]!
        #expect(throws: TesselError.invalidParameter(component: "network", parameter: "labels", value: "4", reason: "a label must lie in 0..<4")) {
            _ = try network.step(images: try TestData.normal([3, 2, 6, 6], seed: 1), labels: [0, 1, 4])
        }
        #expect(network.stepCount == 0 && network.runningStatistics[1]!.mean == statistics.mean)
        #expect(throws: TesselError.invalidParameter(component: "dataset", parameter: "indices", value: "3", reason: "an index must lie in 0..<3")) {
            _ = try Dataset(images: try Tensor<Float>(shape: [3, 2]), labels: [0, 1, 2]).subset([0, 3])
        }
        #expect(throws: TesselError.invalidParameter(component: "layers[0] (maxpool)", parameter: "size", value: "7",
                                                     reason: "the window is larger than the input: H = 6 in x of shape (1, 1, 6, 6)")) {
            _ = try Network<Float>(NetworkDefinition(input: [1, 6, 6], layers: [.maxPool(size: 7, stride: 7), .affine(units: 2)]))
        }
    }

    /// The config types are the layers' own names.
    @Test func configTypesAreTheLayerNames() {
        #expect([LayerSpec.affine(units: 1), .relu, .convolution(filters: 1, size: 1, stride: 1, pad: 0), .maxPool(size: 1, stride: 1),
                 .batchNorm(epsilon: 1, momentum: 0), .spatialBatchNorm(epsilon: 1, momentum: 0), .layerNorm(epsilon: 1),
                 .groupNorm(groups: 1, epsilon: 1), .dropout(keep: 1)].map(\.typeName)
                == [Affine.name, ReLU.name, Convolution.name, MaxPool.name, BatchNorm.name, SpatialBatchNorm.name, LayerNorm.name,
                    GroupNorm.name, Dropout.name])
    }
}
