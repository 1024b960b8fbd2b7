import Testing
@testable import Tessel
import TesselBenchmarking

@Suite struct LayerBenchmarkTests {
    @Test func namesAreUniqueAndFound() {
        let names = LayerBenchmark.all.map(\.name)
        #expect(Set(names).count == names.count)
        for name in names { #expect(LayerBenchmark.named(name)?.name == name) }
        #expect(LayerBenchmark.named("no-such-layer") == nil)
    }

    @Test func everyLayerKindHasBenchmarks() {
        for kind in LayerKinds.all {
            let benchmarks = (kind as? any BenchmarkedKind.Type)?.benchmarks ?? []
            #expect(!benchmarks.isEmpty, "layer kind \(kind.typeName) has no benchmark (conform it to BenchmarkedKind)")
        }
    }

    @Test(arguments: LayerBenchmark.all.map(\.name))
    func everyPassRunsTiledAsTheReferenceAtTheSmallPreset(name: String) throws {
        let workload = try LayerBenchmark.named(name)!.prepare(.small)
        #expect(!workload.passes.isEmpty)
        for pass in workload.passes {
            #expect(pass.cost.bytes > 0)
            #expect(pass.cost.flops >= 0)
            #expect(pass.outputTensors >= 1)
            let tiled = try pass.outputs(.tiled(try Scheduler(workers: 2, grainSize: 0)))
            let reference = try pass.outputs(.reference)
            #expect(!tiled.isEmpty && tiled.count == reference.count, "\(name) \(pass.name)")
            for (index, (a, b)) in zip(tiled, reference).enumerated() {
                #expect(a.shape == b.shape, "\(name) \(pass.name) output \(index)")
                // Float32, the tiled kernel summing in another order than the reference: a few ulps normwise.
                if a.shape == b.shape { #expect(normwiseRelativeError(a, b) <= 1e-5, "\(name) \(pass.name) output \(index)") }
            }
        }
    }

    @Test(arguments: LayerBenchmark.all.map(\.name))
    func presetsAreValuesOfTheirKind(name: String) {
        let workload = LayerBenchmark.named(name)!
        for preset in LayerBenchmark.Preset.allCases {
            let values = workload.values(preset)
            #expect(values.order == workload.parameters.map(\.name))
            for parameter in workload.parameters { #expect(parameter.kind.accepts(values[parameter.name]) == nil) }
        }
    }

    @Test func reluCostCountsEveryElementReadAndWritten() throws {
        let workload = try LayerBenchmark.relu.prepare(.small)
        let elements = Double(64 * 256)
        #expect(workload.passes.map(\.name) == ["forward", "backward"])
        #expect(workload.passes[0].cost == BenchmarkCost(flops: elements, bytes: 8 * elements))
        #expect(workload.passes[1].cost == BenchmarkCost(flops: elements, bytes: 12 * elements))
        #expect(workload.cost == BenchmarkCost(flops: 2 * elements, bytes: 20 * elements))
        #expect(workload.values.description == "x (64, 256)")
    }

    @Test func inputsAreSeeded() throws {
        let a = try BenchmarkInputs.uniform([3, 5], seed: 9), b = try BenchmarkInputs.uniform([3, 5], seed: 9)
        let c = try BenchmarkInputs.uniform([3, 5], seed: 10)
        #expect(a.isBitwiseEqual(to: b))
        #expect(!a.isBitwiseEqual(to: c))
        #expect(a.scalars.allSatisfy { $0 >= -1 && $0 < 1 })
        let labels = BenchmarkInputs.labels(count: 100, classes: 7, seed: 1)
        #expect(labels == BenchmarkInputs.labels(count: 100, classes: 7, seed: 1))
        #expect(labels.allSatisfy { (0..<7).contains($0) } && Set(labels).count == 7)
    }

    @Test func prepareRejectsAValueOfTheWrongKind() {
        var values = LayerBenchmark.relu.values(.small)
        values["x"] = .shape([4, 0])
        #expect(throws: TesselError.invalidParameter(component: "relu", parameter: "x", value: "(4, 0)",
                                                     reason: "expected a shape of rank 2 (an array of 2 integers, each at least 1), got (4, 0)")) {
            try LayerBenchmark.relu.prepare(values)
        }
        values["x"] = .integer(3)
        #expect(throws: TesselError.self) { try LayerBenchmark.relu.prepare(values) }
    }

    @Test func kindsCheckTheirRanges() {
        #expect(BenchmarkParameter.Kind.shape(rank: 2).accepts(.shape([2, 3])) == nil)
        #expect(BenchmarkParameter.Kind.shape(rank: 2).accepts(.shape([2, 3, 4])) != nil)
        #expect(BenchmarkParameter.Kind.shape(rank: 1).accepts(.shape([Int.max, ])) == nil)
        #expect(BenchmarkParameter.Kind.shape(rank: 2).accepts(.shape([Int.max, 2])) != nil)
        #expect(BenchmarkParameter.Kind.integer(minimum: 0).accepts(.integer(0)) == nil)
        #expect(BenchmarkParameter.Kind.integer(minimum: 1).accepts(.integer(0)) != nil)
        #expect(BenchmarkParameter.Kind.integer(minimum: 1).accepts(.real(1)) != nil)
        #expect(BenchmarkParameter.Kind.probability.accepts(.real(1)) == nil)
        #expect(BenchmarkParameter.Kind.probability.accepts(.real(0)) != nil)
        #expect(BenchmarkParameter.Kind.probability.accepts(.real(1.5)) != nil)
    }
}
