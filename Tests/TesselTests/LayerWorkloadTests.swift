import Testing
@testable import Tessel

@Suite struct LayerWorkloadTests {
    @Test func namesAreUniqueAndFound() {
        let names = LayerWorkload.all.map(\.name)
        #expect(Set(names).count == names.count)
        for name in names { #expect(LayerWorkload.named(name)?.name == name) }
        #expect(LayerWorkload.named("no-such-layer") == nil)
    }

    @Test(arguments: LayerWorkload.all.map(\.name))
    func everyPassRunsTiledAndReferenceAtTheSmallPreset(name: String) throws {
        let workload = try LayerWorkload.named(name)!.prepare(.small)
        #expect(!workload.passes.isEmpty)
        for pass in workload.passes {
            #expect(pass.cost.bytes > 0)
            #expect(pass.cost.flops >= 0)
            #expect(pass.outputTensors >= 1)
            try pass.run(.tiled(try Scheduler(workers: 2, grainSize: 0)))
            try pass.run(.reference)
        }
    }

    @Test(arguments: LayerWorkload.all.map(\.name))
    func presetsAreValuesOfTheirKind(name: String) {
        let workload = LayerWorkload.named(name)!
        for preset in LayerWorkload.Preset.allCases {
            let values = workload.values(preset)
            #expect(values.order == workload.parameters.map(\.name))
            for parameter in workload.parameters { #expect(parameter.kind.accepts(values[parameter.name]) == nil) }
        }
    }

    @Test func reluCostCountsEveryElementReadAndWritten() throws {
        let workload = try LayerWorkload.relu.prepare(.small)
        let elements = Double(64 * 256)
        #expect(workload.passes.map(\.name) == ["forward", "backward"])
        #expect(workload.passes[0].cost == WorkloadCost(flops: elements, bytes: 8 * elements))
        #expect(workload.passes[1].cost == WorkloadCost(flops: elements, bytes: 12 * elements))
        #expect(workload.cost == WorkloadCost(flops: 2 * elements, bytes: 20 * elements))
        #expect(workload.values.description == "x (64, 256)")
    }

    @Test func inputsAreSeeded() throws {
        let a = try WorkloadInputs.uniform([3, 5], seed: 9), b = try WorkloadInputs.uniform([3, 5], seed: 9)
        let c = try WorkloadInputs.uniform([3, 5], seed: 10)
        #expect(a.isBitwiseEqual(to: b))
        #expect(!a.isBitwiseEqual(to: c))
        #expect(a.scalars.allSatisfy { $0 >= -1 && $0 < 1 })
        let labels = WorkloadInputs.labels(count: 100, classes: 7, seed: 1)
        #expect(labels == WorkloadInputs.labels(count: 100, classes: 7, seed: 1))
        #expect(labels.allSatisfy { (0..<7).contains($0) } && Set(labels).count == 7)
    }

    @Test func prepareRejectsAValueOfTheWrongKind() {
        var values = LayerWorkload.relu.values(.small)
        values["x"] = .shape([4, 0])
        #expect(throws: TesselError.invalidParameter(component: "relu", parameter: "x", value: "(4, 0)",
                                                     reason: "expected a shape of rank 2 (an array of 2 integers, each at least 1), got (4, 0)")) {
            try LayerWorkload.relu.prepare(values)
        }
        values["x"] = .integer(3)
        #expect(throws: TesselError.self) { try LayerWorkload.relu.prepare(values) }
    }

    @Test func kindsCheckTheirRanges() {
        #expect(WorkloadParameter.Kind.shape(rank: 2).accepts(.shape([2, 3])) == nil)
        #expect(WorkloadParameter.Kind.shape(rank: 2).accepts(.shape([2, 3, 4])) != nil)
        #expect(WorkloadParameter.Kind.shape(rank: 1).accepts(.shape([Int.max, ])) == nil)
        #expect(WorkloadParameter.Kind.shape(rank: 2).accepts(.shape([Int.max, 2])) != nil)
        #expect(WorkloadParameter.Kind.integer(minimum: 0).accepts(.integer(0)) == nil)
        #expect(WorkloadParameter.Kind.integer(minimum: 1).accepts(.integer(0)) != nil)
        #expect(WorkloadParameter.Kind.integer(minimum: 1).accepts(.real(1)) != nil)
        #expect(WorkloadParameter.Kind.probability.accepts(.real(1)) == nil)
        #expect(WorkloadParameter.Kind.probability.accepts(.real(0)) != nil)
        #expect(WorkloadParameter.Kind.probability.accepts(.real(1.5)) != nil)
    }
}
