import Foundation
import Testing
@testable import Tessel

/// The repository's own settings file.
private let repositoryRuntimeJSON = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("config/runtime.json").path

private func decode(_ json: String) throws -> RuntimeSettings {
    try RuntimeSettings.decode(Array(json.utf8), source: "test.json")
}

@Suite struct RuntimeSettingsTests {
    @Test func theRepositoryFileHoldsTheDefaults() throws {
        #expect(try RuntimeSettings.load(from: repositoryRuntimeJSON) == RuntimeSettings())
    }

    @Test func missingKeysKeepTheirDefaults() throws {
        #expect(try decode("{}") == RuntimeSettings())
        #expect(try decode("{\"tiles\": {}}") == RuntimeSettings())
        let partial = try decode("{\"workers\": 3, \"tiles\": {\"gemmRowBlock\": 48}}")
        var expected = RuntimeSettings(workers: 3)
        expected.tiles.gemmRowBlock = 48
        #expect(partial == expected)
    }

    @Test func everyKeyIsRead() throws {
        let settings = try decode("""
            {"workers": 2, "grainSize": 0,
             "tiles": {"elementsPerTile": 7, "gemmRowBlock": 5, "gemmColumnBlock": 3.0, "streamingOutputBytes": 4096}}
            """)
        #expect(settings == RuntimeSettings(workers: 2, grainSize: 0,
                                            tiles: TileSettings(elementsPerTile: 7, gemmRowBlock: 5, gemmColumnBlock: 3,
                                                                streamingOutputBytes: 4096)))
        #expect(try decode("{\"workers\": null}").workers == nil)
    }

    @Test func encodingRoundTrips() throws {
        let settings = RuntimeSettings(workers: 5, grainSize: 12, tiles: TileSettings(elementsPerTile: 9, gemmRowBlock: 8, gemmColumnBlock: 7),
                                       fusion: false)
        #expect(try decode("{\"fusion\": false}") == RuntimeSettings(fusion: false) && RuntimeSettings().fusion)
        let json = try JSONEncoder().encode(settings)
        #expect(try RuntimeSettings.decode(Array(json), source: "encoded") == settings)
    }

    @Test(arguments: [
        ("{\"worker\": 2}", "worker", "unknown key (expected one of 'workers', 'grainSize', 'tiles', 'numa', 'hugePages', 'memoryLimit', 'fusion')"),
        ("{\"numa\": \"everywhere\"}", "numa", "everywhere"),
        ("{\"numa\": 1}", "numa", "Expected to decode String"),
        ("{\"hugePages\": \"yes\"}", "hugePages", "Expected to decode Bool"),
        ("{\"fusion\": 0}", "fusion", "Expected to decode Bool"),
        ("{\"workers\": 2, \"zeta\": 1, \"alpha\": 1}", "alpha", "unknown key"),
        ("{\"tiles\": {\"elementsPerTile\": 4, \"rowBlock\": 2}}", "tiles.rowBlock",
         "unknown key (expected one of 'elementsPerTile', 'gemmRowBlock', 'gemmColumnBlock', 'streamingOutputBytes')"),
        ("{\"workers\": 0}", "workers", "must be at least 1 (or null for every online CPU), got 0"),
        ("{\"workers\": -2}", "workers", "must be at least 1"),
        ("{\"workers\": \"4\"}", "workers", "expected an integer, found the string \"4\""),
        ("{\"workers\": 2.5}", "workers", "expected an integer, found the number 2.5"),
        ("{\"workers\": [2]}", "workers", "expected an integer, found an array"),
        ("{\"grainSize\": -1}", "grainSize", "must not be negative, got -1"),
        ("{\"grainSize\": null}", "grainSize", "expected an integer, found null"),
        ("{\"grainSize\": 1e30}", "grainSize", "expected an integer, found the number 1e+30"),
        ("{\"tiles\": {\"gemmRowBlock\": 0}}", "tiles.gemmRowBlock", "must be at least 1, got 0"),
        ("{\"tiles\": {\"elementsPerTile\": -1}}", "tiles.elementsPerTile", "must be at least 1, got -1"),
        ("{\"tiles\": {\"gemmRowBlock\": {}}}", "tiles.gemmRowBlock", "expected an integer, found an object"),
        ("{\"tiles\": {\"gemmColumnBlock\": true}}", "tiles.gemmColumnBlock", "expected an integer, found true"),
        ("{\"tiles\": {\"streamingOutputBytes\": 0}}", "tiles.streamingOutputBytes", "must be at least 1, got 0"),
        ("{\"tiles\": 5}", "tiles", "expected an object, found the number 5.0"),
        ("[1, 2]", "(document)", "expected an object, found an array"),
        ("{\"workers\": 2", "(document)", "not valid JSON"),
        ("", "(document)", "not valid JSON"),
    ])
    func badSettingsNameTheirKey(json: String, key: String, fragment: String) {
        do {
            _ = try decode(json)
            Issue.record("expected an error for \(json)")
        } catch let TesselError.configuration(source, errorKey, reason) {
            #expect(source == "test.json")
            #expect(errorKey == key)
            #expect(reason.contains(fragment), "reason: \(reason)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func loadingAMissingFileNamesIt() {
        #expect(throws: TesselError.system(operation: "read '/nonexistent/runtime.json'", reason: "No such file or directory")) {
            try RuntimeSettings.load(from: "/nonexistent/runtime.json")
        }
    }

    @Test func schedulerTakesTheSettings() throws {
        let tiles = TileSettings(elementsPerTile: 9, gemmRowBlock: 8, gemmColumnBlock: 7)
        let scheduler = try RuntimeSettings(workers: 3, grainSize: 17, tiles: tiles).makeScheduler(environment: [:])
        #expect(scheduler.workers == 3)
        #expect(scheduler.grainSize == 17)
        #expect(scheduler.tiles == tiles)
        #expect(try RuntimeSettings().makeScheduler(environment: [:]).workers == Scheduler.onlineCPUCount)
    }

    @Test func numaSettingsReachTheScheduler() throws {
        #expect(try decode("{\"numa\": \"partitioned\", \"hugePages\": true}") == RuntimeSettings(numa: .partitioned, hugePages: true))
        // One node here: every mode degrades to unplaced, unbound execution.
        let scheduler = try RuntimeSettings(numa: .partitioned).makeScheduler(environment: [:])
        #expect(scheduler.placement == nil || Topology.current.isMultiNode)
        #expect(throws: TesselError.configuration(source: "environment", key: "TESSEL_NUMA",
                                                  reason: "'nowhere' is not one of disabled, local, interleave, partitioned")) {
            try RuntimeSettings().makeScheduler(environment: ["TESSEL_NUMA": "nowhere"])
        }
        #expect(try RuntimeSettings().makeScheduler(environment: ["TESSEL_NUMA": "local"]).allocator.policy == (Topology.current.isMultiNode ? .local : nil))
    }

    @Test func theEnvironmentOverridesWorkers() throws {
        let environment = [RuntimeSettings.workersVariable: "5"]
        #expect(try RuntimeSettings(workers: 2).makeScheduler(environment: environment).workers == 5)
        #expect(try RuntimeSettings().makeScheduler(environment: environment).workers == 5)
    }

    @Test(arguments: ["0", "-1", "abc", "", "2.5", " 3"])
    func aBadEnvironmentValueNamesTheVariable(value: String) {
        #expect(throws: TesselError.configuration(source: "environment", key: "TESSEL_THREADS",
                                                  reason: "must be a positive integer, got '\(value)'")) {
            try RuntimeSettings().makeScheduler(environment: ["TESSEL_THREADS": value])
        }
    }

    @Test func settingsMadeInCodeAreChecked() {
        var settings = RuntimeSettings()
        settings.tiles.elementsPerTile = 0
        #expect(throws: TesselError.configuration(source: "RuntimeSettings", key: "tiles.elementsPerTile", reason: "must be at least 1, got 0")) {
            try settings.makeScheduler(environment: [:])
        }
        #expect(throws: TesselError.configuration(source: "RuntimeSettings", key: "workers",
                                                  reason: "must be at least 1 (or null for every online CPU), got 0")) {
            try RuntimeSettings(workers: 0).makeScheduler(environment: [:])
        }
    }
}
