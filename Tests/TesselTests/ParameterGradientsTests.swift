import Testing
@testable import Tessel
import TesselTestSupport

/// `parameterGradients`: affine and convolution without dx give `backward`'s dw and db bit for
/// bit (tiled on 1 and 2 workers and other tile sizes, and reference; Float32 and Float64),
/// and a network step, whose first layer computes no input gradient, gives the gradients of
/// one whose first layer does (a traced step).
@Suite struct ParameterGradientsTests {
    /// Tiled schedulers of 1 and 2 workers with both `determinismTileSettings`, and the default.
    static var backends: [Backend] {
        [.tiled(.default)] + [1, 2].flatMap { workers in
            determinismTileSettings.map { .tiled(try! Scheduler(workers: workers, grainSize: 0, tiles: $0)) }
        } + [.reference]
    }

    func expectSameBits<T>(_ parameters: ParameterGradients<T>, as full: WeightGradients<T>, _ comment: Comment) {
        #expect(parameters.dw.isBitwiseEqual(to: full.dw), comment)
        #expect(parameters.db.isBitwiseEqual(to: full.db), comment)
    }

    func checkAffine<T: TesselScalar>(shape: [Int], m: Int, as _: T.Type) throws {
        let d = shape.dropFirst().reduce(1, *)
        let x = try TestData.normal(shape, seed: 61, as: T.self)
        let w = try TestData.normal([d, m], seed: 62, as: T.self)
        let b = try TestData.normal([m], seed: 63, as: T.self)
        let dout = try TestData.normal([shape[0], m], seed: 64, as: T.self)
        let kind = AffineKind(units: m)
        for backend in Self.backends {
            let full = try AffineKind.backward(dout, x: x, w: w, b: b, backend: backend)
            expectSameBits(try AffineKind.parameterGradients(dout, x: x, w: w, b: b, backend: backend), as: full, "\(backend) \(T.self)")
            // Through the protocol, as the network calls it.
            let viaKind = try (kind as any LayerKind).parameterGradients(dout, record: .input(x), parameters: [w, b], backend: backend)
            #expect(viaKind.count == 2 && viaKind[0].isBitwiseEqual(to: full.dw) && viaKind[1].isBitwiseEqual(to: full.db))
        }
    }

    func checkConvolution<T: TesselScalar>(_ shape: ConvolutionTests.Case, as _: T.Type) throws {
        let parameters = Convolution.Parameters(stride: shape.stride, pad: shape.pad)
        let x = try TestData.normal(shape.x, seed: 71, as: T.self)
        let w = try TestData.normal(shape.w, seed: 72, as: T.self)
        let b = try TestData.normal([shape.w[0]], seed: 73, as: T.self)
        let out = try Convolution.Reference.forward(x: x, w: w, b: b, parameters: parameters)
        let dout = try TestData.normal(out.shape, seed: 74, as: T.self)
        let kind = ConvolutionKind(filters: shape.w[0], size: shape.w[2], stride: shape.stride, pad: shape.pad)
        for backend in Self.backends {
            let full = try ConvolutionKind.backward(dout, x: x, w: w, b: b, parameters, backend: backend)
            expectSameBits(try ConvolutionKind.parameterGradients(dout, x: x, w: w, b: b, parameters, backend: backend), as: full,
                           "\(backend) \(T.self)")
            // The kind's own filter is square; the odd-shaped filters go through the static entry only.
            guard shape.w[2] == shape.w[3] else { continue }
            let viaKind = try (kind as any LayerKind).parameterGradients(dout, record: .input(x), parameters: [w, b], backend: backend)
            #expect(viaKind.count == 2 && viaKind[0].isBitwiseEqual(to: full.dw) && viaKind[1].isBitwiseEqual(to: full.db))
        }
    }

    @Test(arguments: AffineTests.oddShapes)
    func affine(shape: [Int], m: Int) throws {
        try checkAffine(shape: shape, m: m, as: Float.self)
        try checkAffine(shape: shape, m: m, as: Double.self)
    }

    @Test(arguments: ConvolutionTests.cases)
    func convolution(_ shape: ConvolutionTests.Case) throws {
        try checkConvolution(shape, as: Float.self)
        try checkConvolution(shape, as: Double.self)
    }

    /// A kind that keeps the default (`backward`, dx dropped): ReLU has no parameters.
    @Test func theDefaultDropsTheInputGradient() throws {
        let x = try TestData.normal([3, 4], seed: 81, as: Float.self), dout = try TestData.normal([3, 4], seed: 82, as: Float.self)
        #expect(try (ReLUKind() as any LayerKind).parameterGradients(dout, record: .input(x), parameters: [], backend: .tiled(.default)).isEmpty)
        #expect(ReLUKind().inputGradientFlops(input: [4], inputElements: 12, outputElements: 12) == 0)
    }

    /// A plain step (first layer: no dx) and a traced one (first layer: dx, which the trace
    /// records) give the same loss and gradients, bit for bit, for a convolution and an affine
    /// first layer, 1 and 3 shards, 1 and 2 workers.
    func checkStep<T: TesselScalar>(_ definition: NetworkDefinition, as _: T.Type) throws {
        let network = try Network<T>(definition, seed: 5)
        let batch = try NetworkTests.batch(definition, count: 7, seed: 6, as: T.self)
        for shards in [1, 3] {
            for workers in [1, 2] {
                let layout = try ShardLayout(batch: batch.count, shards: shards)
                let scheduler = try Scheduler(workers: workers, grainSize: 0, tiles: determinismTileSettings[0])
                var plain = network, traced = network
                var profile: NetworkProfile? = nil
                let expected = try traced.step(images: batch.images, labels: batch.labels, layout: layout, exchange: LocalExchange(),
                                               scheduler: scheduler, profile: &profile, tracing: true)
                let result = try plain.step(images: batch.images, labels: batch.labels, layout: layout, exchange: LocalExchange(),
                                            scheduler: scheduler, profile: &profile)
                let firstDx = try #require(expected.trace?.entries.last)
                #expect(firstDx.name == network.layerNames[0] + ".dx" && firstDx.tensor.shape == batch.images.shape)
                #expect(Double(result.loss).bitPattern == Double(expected.loss).bitPattern)
                #expect(result.gradients.count == expected.gradients.count)
                for (gradient, reference) in zip(result.gradients, expected.gradients) {
                    #expect(gradient.isBitwiseEqual(to: reference), "\(T.self) shards \(shards) workers \(workers)")
                }
            }
        }
    }

    @Test(arguments: [NetworkTests.convNet, NetworkTests.fullyConnected])
    func stepGradientsAreThoseOfTheFullBackward(_ definition: NetworkDefinition) throws {
        try checkStep(definition, as: Float.self)
        try checkStep(definition, as: Double.self)
    }

    /// The first layer's backward count leaves out the input gradient it does not compute.
    @Test func theFirstLayersFlopsLeaveOutItsInputGradient() throws {
        let network = try Network<Float>(NetworkDefinition(input: [6], layers: [.affine(units: 5), .relu, .affine(units: 3)]))
        let n = 4.0
        #expect(network.flops(layer: 0, batch: 4).backward == 2 * n * 6 * 5 + n * 5)
        #expect(network.flops(layer: 2, batch: 4).backward == 4 * n * 5 * 3 + n * 3)
        let conv = try Network<Float>(NetworkTests.convNet)
        let taps = 2.0 * 3 * 3, outputs = n * 3 * 6 * 6
        #expect(conv.flops(layer: 0, batch: 4).backward == 2 * outputs * taps + outputs)
    }
}
