import Foundation
import Testing
@testable import Tessel
import TesselTestSupport

/// Requests larger than the machine are thrown out-of-memory errors (the allocator and
/// command-line rows of the error tables cover the messages); a batch beyond a memory limit
/// (set, or a cgroup's) ends in one error line, not in the OOM killer; a long `tessel run`
/// keeps its resident set flat.
@Suite struct MemoryPressureTests {
    /// The most the resident set may grow over 1,000 steps after warm-up. One step of the tiny
    /// network allocates a few KiB, so a leak of even one buffer per step exceeds this.
    static let residentGrowthLimit = 8 << 20

    /// `tessel run` with 100 warm-up and 1,000 timed steps of a tiny network, in a child
    /// process so that no other test's allocations count: the resident set after the steps
    /// must be within `residentGrowthLimit` of the one after warm-up.
    @Test func aThousandStepsKeepTheResidentSetFlat() throws {
        let folder = try TemporaryFolder()
        let config = """
            { "network": { "input": [16], "layers": [ { "type": "affine", "units": 32 }, { "type": "batchnorm" },
                { "type": "relu" }, { "type": "dropout", "keep": 0.9 }, { "type": "affine", "units": 4 } ] },
              "run": { "batchSize": 8, "steps": 1000, "warmup": 100 } }
            """
        try config.write(toFile: folder.path + "/tiny.json", atomically: true, encoding: .utf8)
        // Under AddressSanitizer (CI runs the suite so), freed blocks wait in a quarantine of up
        // to 256 MiB, which would read as growth; without the quarantine the set is as flat
        // as in a plain build. A build without ASan ignores the variable.
        let asanOptions = [ProcessInfo.processInfo.environment["ASAN_OPTIONS"], "quarantine_size_mb=0"]
            .compactMap { $0 }.joined(separator: ":")
        let outcome = try TesselCommand.run(["run", "tiny.json", "--json", "--threads", "2"], in: folder.path,
                                            environment: ["ASAN_OPTIONS": asanOptions], timeLimit: 120)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = try JSONDecoder().decode(Report.self, from: Data(outcome.standardOutput.utf8)).report
        #expect(report.steps == 1000 && report.warmup == 100)
        #expect(report.residentBytesAfterWarmup > 0)
        let growth = report.residentBytesAfterSteps - report.residentBytesAfterWarmup
        #expect(growth < Self.residentGrowthLimit,
                "resident set grew by \(growth) bytes: \(report.residentBytesAfterWarmup) → \(report.residentBytesAfterSteps)")
    }

    /// A network whose tensors are 16 MiB each (a batch of 2048 vectors of 2048 floats) and
    /// that holds about 10 of them at once: each allocation fits in a small limit, together
    /// they do not.
    static func writeLargeBatchConfig(in folder: String, runtime: String = "") throws {
        let config = """
            { "network": { "input": [2048], "layers": [ { "type": "relu" }, { "type": "dropout", "keep": 0.5 }, { "type": "relu" },
                { "type": "dropout", "keep": 0.5 }, { "type": "relu" }, { "type": "dropout", "keep": 0.5 }, { "type": "relu" },
                { "type": "affine", "units": 2 } ] },
              "run": { "batchSize": 2048, "steps": 1, "warmup": 0 }\(runtime) }
            """
        try config.write(toFile: folder + "/large.json", atomically: true, encoding: .utf8)
    }

    /// Expects `outcome` to be an exit with status 2 and one `error:` line of out of memory
    /// that names the limit's source (`fragment`), the bytes held and the 16 MiB request.
    static func expectRefusal(_ outcome: TesselCommand.Outcome, naming fragment: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.status == 2 && !outcome.endedBySignal, "status \(outcome.status): \(outcome.standardError)",
                sourceLocation: sourceLocation)
        let lines = outcome.standardError.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("error: out of memory: could not allocate 16777216 bytes"),
                "\(outcome.standardError)", sourceLocation: sourceLocation)
        for part in [fragment, "Tessel holds", "needs 16777216 more"] {
            #expect(outcome.standardError.contains(part), "'\(part)' missing: \(outcome.standardError)", sourceLocation: sourceLocation)
        }
    }

    /// A batch whose tensors together exceed `TESSEL_MEMORY_LIMIT` or `runtime.memoryLimit`
    /// (of the config, or of the `runtime.json` beside it) ends with the out-of-memory line
    /// naming that limit.
    @Test(arguments: [(["TESSEL_MEMORY_LIMIT": "48MiB"], "", nil, "memory limit of 50331648 bytes (TESSEL_MEMORY_LIMIT=48MiB)"),
                      ([:], #", "runtime": { "memoryLimit": "40MiB" }"#, nil,
                       "memory limit of 41943040 bytes (runtime.memoryLimit in large.json = 41943040 bytes)"),
                      ([:], "", #"{ "memoryLimit": 41943040 }"#,
                       "memory limit of 41943040 bytes (runtime.memoryLimit in runtime.json = 41943040 bytes)")])
    func aBatchBeyondTheConfiguredLimitExitsWithTheMessage(environment: [String: String], runtime: String, runtimeFile: String?,
                                                           fragment: String) throws {
        let folder = try TemporaryFolder()
        try Self.writeLargeBatchConfig(in: folder.path, runtime: runtime)
        try runtimeFile?.write(toFile: folder.path + "/runtime.json", atomically: true, encoding: .utf8)
        let outcome = try TesselCommand.run(["run", "large.json", "--threads", "2"], in: folder.path, environment: environment, timeLimit: 120)
        Self.expectRefusal(outcome, naming: fragment)
    }

    /// The same batch in a cgroup limited to 160 MiB (as a container's `--memory` would):
    /// Tessel reads the limit, keeps its own memory 64 MiB below it, and exits with the
    /// message instead of being ended by the kernel's OOM killer.
    @Test(.enabled(if: TestCgroup.unavailableReason == nil, "\(TestCgroup.unavailableReason ?? "")"))
    func aBatchBeyondTheCgroupLimitExitsWithTheMessageAndIsNotKilled() throws {
        let folder = try TemporaryFolder()
        try Self.writeLargeBatchConfig(in: folder.path)
        let limit = 160 << 20
        let group = try TestCgroup(limit: limit)
        defer { try? group.remove() }
        let launcher = ["/bin/sh", "-c", "echo $$ > '\(group.processes)' && exec \"$0\" \"$@\""]
        let outcome = try TesselCommand.run(["run", "large.json", "--threads", "2"], in: folder.path,
                                            environment: ["TESSEL_MEMORY_LIMIT": ""], launcher: launcher, timeLimit: 120)
        Self.expectRefusal(outcome, naming: "cgroup memory limit of \(limit) bytes in \(group.limitFile)")
        #expect(group.oomKills == 0, "the OOM killer ended a process of the group")
    }

    /// The part of `tessel run --json` this test reads.
    private struct Report: Decodable {
        var report: RunReport
    }
}
