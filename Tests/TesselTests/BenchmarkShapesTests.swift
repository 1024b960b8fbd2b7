import Testing
@testable import Tessel
import TesselBenchmarking
import TesselTestSupport
import TesselSystem

@Suite struct BenchmarkShapesTests {
    private func decode(_ json: String) throws -> BenchmarkShapes {
        try BenchmarkShapes.decode(Array(json.utf8), source: "shapes.json")
    }

    private func expectError(_ json: String, key: String, reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: TesselError.configuration(source: "shapes.json", key: key, reason: reason), sourceLocation: sourceLocation) {
            try decode(json)
        }
    }

    @Test func overridesApplyAndMissingKeysKeepTheStandard() throws {
        let shapes = try decode(#"{ "relu": { "x": [8, 16] } }"#)
        #expect(shapes.overrides == ["relu": ["x": .shape([8, 16])]])
        #expect(shapes.values(for: .relu).shape("x") == [8, 16])
        #expect(try shapes.prepare(.relu).values.description == "x (8, 16)")
        #expect(try decode("{}").values(for: .relu) == LayerBenchmark.relu.values(.standard))
        #expect(try decode(#"{ "relu": {} }"#).values(for: .relu) == LayerBenchmark.relu.values(.standard))
        #expect(BenchmarkShapes.standard.values(for: .relu) == LayerBenchmark.relu.values(.standard))
    }

    @Test func unknownWorkloadOrKeyNamesIt() {
        let workloads = LayerBenchmark.all.map { "'\($0.name)'" }.joined(separator: ", ")
        expectError(#"{ "rleu": { "x": [8, 16] } }"#, key: "rleu", reason: "unknown workload (expected one of \(workloads))")
        expectError(#"{ "relu": { "x": [8, 16], "y": [2] } }"#, key: "relu.y", reason: "unknown key (expected one of 'x')")
    }

    @Test func badValuesNameTheirKey() {
        let shape = "expected a shape of rank 2 (an array of 2 integers, each at least 1)"
        expectError(#"{ "relu": { "x": [8] } }"#, key: "relu.x", reason: "\(shape), got (8,)")
        expectError(#"{ "relu": { "x": [8, 0] } }"#, key: "relu.x", reason: "\(shape), got (8, 0)")
        expectError(#"{ "relu": { "x": [8, -2] } }"#, key: "relu.x", reason: "\(shape), got (8, -2)")
        expectError(#"{ "relu": { "x": [8, 2.5] } }"#, key: "relu.x", reason: "\(shape), found an array holding a number that is not an integer")
        expectError(#"{ "relu": { "x": "8x16" } }"#, key: "relu.x", reason: "\(shape), found the string \"8x16\"")
        expectError(#"{ "relu": { "x": null } }"#, key: "relu.x", reason: "\(shape), found null")
        expectError(#"{ "relu": [8, 16] }"#, key: "relu", reason: "expected an object, found an array")
    }

    @Test func documentErrors() {
        expectError("[1, 2]", key: "(document)", reason: "expected an object, found an array")
        #expect(throws: TesselError.self) { try decode("{ not json") }
        do {
            _ = try decode("{ not json")
        } catch let TesselError.configuration(source, key, _) {
            #expect(source == "shapes.json" && key == "(document)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func settingsThatDoNotFitAreReportedUnderTheWorkloadKey() throws {
        let shapes = try decode(#"{ "affine": { "x": [4, 8], "w": [5, 3] } }"#)
        do {
            _ = try shapes.prepare(.affine)
            Issue.record("an affine w with 5 rows for x with 8 features was accepted")
        } catch let TesselError.configuration(source, key, reason) {
            #expect(source == "shapes.json" && key == "affine")
            #expect(reason.hasPrefix("affine: argument 'w'"))
        }
        // A workload the file does not name keeps the layer's own error type.
        var values = LayerBenchmark.affine.values(.small)
        values["w"] = .shape([5, 3])
        #expect(throws: TesselError.self) { try LayerBenchmark.affine.prepare(values) }
    }

    @Test func loadNamesAnUnreadableFile() {
        #expect(throws: TesselError.self) { try BenchmarkShapes.load(from: "/nonexistent/shapes.json") }
    }

    @Test func loadReadsAFile() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/shapes.json"
        try AtomicFile.write(Array(#"{ "relu": { "x": [3, 5] } }"#.utf8), to: path)
        let shapes = try BenchmarkShapes.load(from: path)
        #expect(shapes.source == path)
        #expect(shapes.values(for: .relu).shape("x") == [3, 5])
    }
}
