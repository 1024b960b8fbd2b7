import Foundation
import Testing
import Tessel
import TesselBenchmarking

/// The inputs of the libFuzzer targets in `Fuzz/` (see `scripts/fuzz.sh`): the seed corpus
/// `Fuzz/corpus/TARGET/` and `Fuzz/regressions/TARGET/`, which keeps every input that once
/// made a target fail. Each goes through the target's entry points with the target's checks:
/// a value or a thrown `TesselError`, never a trap.
private let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz").path

/// The paths of the seed and regression inputs of `target`, sorted.
private func fuzzInputs(_ target: String) -> [String] {
    ["corpus", "regressions"].flatMap { kind in
        let folder = "\(fuzzFolder)/\(kind)/\(target)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { "\(kind)/\(target)/\($0)" }
    }
}

private func bytes(of input: String) throws -> [UInt8] {
    try FileBytes.read(from: "\(fuzzFolder)/\(input)")
}

/// `body`'s value, or nil when it throws a `TesselError`; any other error is recorded.
private func valueOrTesselError<Value>(_ input: String, _ body: () throws -> Value) -> Value? {
    do {
        return try body()
    } catch is TesselError {
        return nil
    } catch {
        Issue.record("\(input): threw an error that is not a TesselError: \(error)")
        return nil
    }
}

@Suite struct FuzzRegressionTests {
    @Test func everyTargetHasInputs() {
        #expect(fuzzInputs("npy").count >= 10)
        #expect(fuzzInputs("config").count >= 5)
    }

    /// As `Fuzz/NPYFuzzer.swift`: decode, convert, and for floats encode and decode again bit for bit.
    @Test(arguments: fuzzInputs("npy"))
    func npyInput(_ input: String) throws {
        let file = try bytes(of: input)
        guard let array = valueOrTesselError(input, { try NPY.decode(file, source: input) }) else { return }
        _ = valueOrTesselError(input) { try array.tensor(as: Float.self) }
        _ = valueOrTesselError(input) { try array.tensor(as: Double.self) }
        _ = valueOrTesselError(input) { try array.labels() }
        switch array {
        case let .float32(tensor):
            guard case let .float32(back) = try NPY.decode(NPY.encode(tensor), source: input) else {
                Issue.record("\(input): float32 data came back as another type")
                return
            }
            #expect(back.isBitwiseEqual(to: tensor), "\(input)")
        case let .float64(tensor):
            guard case let .float64(back) = try NPY.decode(NPY.encode(tensor), source: input) else {
                Issue.record("\(input): float64 data came back as another type")
                return
            }
            #expect(back.isBitwiseEqual(to: tensor), "\(input)")
        case .int32, .int64:
            break
        }
    }

    /// As `Fuzz/ConfigFuzzer.swift`: every config loader, and settings through `JSONEncoder` and back.
    @Test(arguments: fuzzInputs("config"))
    func configInput(_ input: String) throws {
        let file = try bytes(of: input)
        if let settings = valueOrTesselError(input, { try RuntimeSettings.decode(file, source: input) }) {
            let text = try JSONEncoder().encode(settings)
            #expect(try RuntimeSettings.decode(Array(text), source: input) == settings, "\(input)")
        }
        if let workload = valueOrTesselError(input, { try Workload.decode(file, source: input, name: "input") }) {
            _ = valueOrTesselError(input) { try workload.network.shapes() }
        }
        _ = valueOrTesselError(input) { try BenchmarkShapes.decode(file, source: input) }
    }
}
