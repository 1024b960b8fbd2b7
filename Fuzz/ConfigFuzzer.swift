// libFuzzer target for the JSON config loaders; built by `scripts/fuzz.sh config`.
//
// Each input is the text of a config file, given to every loader: `RuntimeSettings.decode`
// (`config/runtime.json`), `Workload.decode` (`config/default.json` and the other network
// configs, with their `runtime` section) and `BenchmarkShapes.decode` (`tessel scale --shapes`).
// The contract under test: each returns a value or throws a `TesselError`, never traps, hangs
// or touches memory it does not own (AddressSanitizer). Settings that decode must also
// survive `JSONEncoder` and a second decode unchanged.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Tessel
import TesselBenchmarking

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = start.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
    if let settings = valueOrTesselError("RuntimeSettings.decode", { try RuntimeSettings.decode(bytes, source: "input") }) {
        checkRoundTrip(settings)
    }
    if let workload = valueOrTesselError("Workload.decode", { try Workload.decode(bytes, source: "input", name: "input") }) {
        _ = valueOrTesselError("NetworkDefinition.shapes", { try workload.network.shapes() })
    }
    _ = valueOrTesselError("BenchmarkShapes.decode", { try BenchmarkShapes.decode(bytes, source: "input") })
    return 0
}

/// What `body` returns, or nil when it throws a `TesselError`; any other error is a finding.
private func valueOrTesselError<Value>(_ name: String, _ body: () throws -> Value) -> Value? {
    do {
        return try body()
    } catch is TesselError {
        return nil
    } catch {
        fatalError("\(name) threw an error that is not a TesselError: \(error)")
    }
}

/// Settings written by `JSONEncoder` decode to the same settings.
private func checkRoundTrip(_ settings: RuntimeSettings) {
    guard let text = try? JSONEncoder().encode(settings) else { fatalError("JSONEncoder cannot encode \(settings)") }
    guard let back = try? RuntimeSettings.decode(Array(text), source: "round trip"), back == settings else {
        fatalError("RuntimeSettings \(settings) changed through JSONEncoder: \(String(decoding: text, as: UTF8.self))")
    }
}
