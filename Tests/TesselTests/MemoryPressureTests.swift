import Foundation
import Testing
@testable import Tessel

/// Requests larger than the machine are thrown out-of-memory errors (the allocator and
/// command-line rows of the error tables cover the messages); a long `tessel run` keeps its
/// resident set flat.
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

    /// The part of `tessel run --json` this test reads.
    private struct Report: Decodable {
        var report: RunReport
    }

    /// A tensor larger than the machine's memory throws from every allocator path, whatever
    /// the kernel's overcommit setting (it is refused before the system is asked).
    @Test(arguments: [Allocator.standard, try! Allocator(policy: .local), try! Allocator(policy: nil, hugePages: true)])
    func aTensorLargerThanTheMachineThrows(allocator: Allocator) {
        let elements = Allocator.physicalMemoryByteCount / MemoryLayout<Float>.stride + 1
        #expect {
            _ = try Tensor<Float>(shape: [elements], allocator: allocator)
        } throws: { error in
            guard case let .outOfMemory(bytes, _, reason) = error as? TesselError else { return false }
            return bytes == elements * MemoryLayout<Float>.stride && reason.contains("physical memory")
        }
    }
}
