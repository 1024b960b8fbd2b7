import Foundation
import Testing
@testable import Tessel
#if canImport(Glibc)
import Glibc
import TesselTestSupport
#endif

/// Every writer of the command line on a small tmpfs that fills up in the middle of its
/// write: one `error:` line naming the file and "no space left on device", the files of the
/// earlier run intact and loadable, no temporary file left behind; `tessel train` stops at the
/// epoch it could not save and `--resume` then gives the bits of an uninterrupted run. And
/// every writer pointed at a read-only file system fails before it starts its work.
@Suite(.serialized, .enabled(if: TestTmpfs.unavailableReason == nil, "\(TestTmpfs.unavailableReason ?? "")"))
struct FullDiskTests {
    /// Expects `outcome` to be an exit with status 2 and one `error:` line naming a file
    /// under `folder` and `reason`. With `allowingOutput`, the work's output may come before
    /// (results on stdout, `scale`'s progress lines on stderr); without, nothing else.
    static func expectOneErrorLine(_ outcome: TesselCommand.Outcome, naming folder: String, reason: String,
                                   allowingOutput: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.status == 2 && !outcome.endedBySignal, "status \(outcome.status): \(outcome.standardError)", sourceLocation: sourceLocation)
        let lines = outcome.standardError.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("error: ") }.count == 1 && (lines.last?.hasPrefix("error: ") ?? false)
                && (allowingOutput || lines.count == 1), "\(outcome.standardError)", sourceLocation: sourceLocation)
        #expect(outcome.standardError.contains(folder), "the line does not name the file: \(outcome.standardError)", sourceLocation: sourceLocation)
        #expect(outcome.standardError.lowercased().contains(reason), "'\(reason)' missing: \(outcome.standardError)", sourceLocation: sourceLocation)
        if !allowingOutput { #expect(outcome.standardOutput.isEmpty, "stdout: \(outcome.standardOutput)", sourceLocation: sourceLocation) }
    }

    /// The names and contents of the files under `folder` (recursively), hidden ones included.
    static func files(under folder: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let name = enumerator?.nextObject() as? String {
            var info = stat()
            if stat(folder + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { files[name] = try FileBytes.read(from: folder + "/" + name) }
        }
        return files
    }

    static let full = "no space left on device"

    /// Runs `arguments` writing into `output` (a folder on a fresh tmpfs) once with room, then
    /// again with the tmpfs filled to half of what the first run wrote: the second run must
    /// fail with one line and leave the first run's files exactly as they were.
    static func expectFullDiskKeepsEarlierFiles(_ arguments: (String) -> [String], output: String, in folder: String,
                                                sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: [UInt8]] {
        let disk = try TestTmpfs(bytes: 8 << 20)
        let target = disk.path + "/" + output
        let first = try TesselCommand.run(arguments(target), in: folder)
        #expect(first.status == 0, "\(first.standardError)", sourceLocation: sourceLocation)
        let before = try files(under: disk.path)
        #expect(!before.isEmpty, sourceLocation: sourceLocation)
        try disk.fill(leaving: TestTmpfs.diskBytes(of: disk.path) / 2)
        let second = try TesselCommand.run(arguments(target), in: folder)
        expectOneErrorLine(second, naming: target, reason: full, allowingOutput: true, sourceLocation: sourceLocation)
        var after = try files(under: disk.path)
        after["filler"] = nil
        #expect(after == before, "the files of the earlier run changed, or temporary files were left: \(after.keys.sorted())",
                sourceLocation: sourceLocation)
        return after
    }

    @Test func opOutputs() throws {
        let folder = try TemporaryFolder()
        try NPY.write(try TestData.uniform([2, 3], seed: 1, as: Double.self), to: folder.path + "/small.npy")
        try NPY.write(try TestData.uniform([128, 1024], seed: 2, as: Double.self), to: folder.path + "/large.npy")
        var input = "small.npy"
        let files = try Self.expectFullDiskKeepsEarlierFiles({ out in
            defer { input = "large.npy" }
            return ["op", "dropout", "forward", "--in", "x=\(input)", "--param", "p=0.5", "--param", "mode=train", "--out", out]
        }, output: "out", in: folder.path)
        #expect(Set(files.keys) == ["out/out.npy", "out/mask.npy"])
        for name in files.keys { _ = try NPY.decode(files[name]!, source: name) }
    }

    @Test func scaleReports() throws {
        let files = try Self.expectFullDiskKeepsEarlierReport("scale", output: "scale")
        #expect(Set(files.keys) == ["scale/scaling.csv", "scale/scaling.json", "scale/scaling.svg"])
        #expect(try JSONSerialization.jsonObject(with: Data(files["scale/scaling.json"]!)) is [String: Any])
    }

    @Test func benchReport() throws {
        let files = try Self.expectFullDiskKeepsEarlierReport("bench", output: "bench.json")
        #expect(try JSONSerialization.jsonObject(with: Data(files["bench.json"]!)) is [String: Any])
    }

    /// `expectFullDiskKeepsEarlierFiles` for `tessel scale` or `tessel bench` (`command`) of
    /// ReLU on x (64, 64): one worker, one repeat, no warm-up.
    static func expectFullDiskKeepsEarlierReport(_ command: String, output: String,
                                                 sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: [UInt8]] {
        let folder = try TemporaryFolder()
        try Array(#"{"relu": {"x": [64, 64]}}"#.utf8).write(to: folder.path + "/shapes.json")
        return try expectFullDiskKeepsEarlierFiles({ out in
            [command, "--layers", "relu", "--shapes", "shapes.json", "--workers", "1", "--repeats", "1", "--warmup", "0", "--out", out]
        }, output: output, in: folder.path, sourceLocation: sourceLocation)
    }

    @Test func runDump() throws {
        let folder = try TemporaryFolder()
        _ = try InterruptionTests.prepareTraining(in: folder.path, epochs: 0)
        let files = try Self.expectFullDiskKeepsEarlierFiles({ out in
            ["run", "tiny.json", "--threads", "1", "--steps", "1", "--dump", out]
        }, output: "dump", in: folder.path)
        #expect(files.keys.contains("dump/conv0.w.npy") && files.keys.contains("dump/conv0.w.grad.npy"))
        for name in files.keys { _ = try NPY.decode(files[name]!, source: name) }
    }

    /// `train` resumed from epoch 2 on a disk without room for another checkpoint stops at
    /// epoch 3 with one line, prints no line for it, and leaves epoch 2's checkpoint alone;
    /// with room again, `--resume` reaches epoch 5 with the bits of an uninterrupted run.
    @Test func trainingCheckpoints() throws {
        let folder = try TemporaryFolder()
        let (workload, states) = try InterruptionTests.prepareTraining(in: folder.path, epochs: 5)
        let disk = try TestTmpfs(bytes: 8 << 20)
        let checkpoints = disk.path + "/checkpoints"
        let train = ["train", "tiny.json", "--threads", "1"]
        let first = try TesselCommand.run(train + ["--checkpoint-dir", checkpoints, "--epochs", "2"], in: folder.path)
        #expect(first.status == 0, "\(first.standardError)")
        try disk.fill(leaving: TestTmpfs.diskBytes(of: checkpoints) / 2)
        let stopped = try TesselCommand.run(train + ["--resume", checkpoints, "--epochs", "5"], in: folder.path)
        Self.expectOneErrorLine(stopped, naming: checkpoints, reason: Self.full, allowingOutput: true)
        #expect(InterruptionTests.printedEpochs(stopped.standardOutput).isEmpty, "an epoch without a checkpoint was reported")
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoints) == ["epoch-0002"], "temporary folders were left")
        #expect(try InterruptionTests.checkpointEpochs(in: checkpoints, workload: workload, states: states) == [2])

        #expect(unlink(disk.path + "/filler") == 0)
        let resumed = try TesselCommand.run(train + ["--resume", checkpoints, "--epochs", "5"], in: folder.path)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(InterruptionTests.printedEpochs(resumed.standardOutput) == [3, 4, 5])
        #expect(try InterruptionTests.checkpointEpochs(in: checkpoints, workload: workload, states: states) == [5])
    }

    /// As root, permission bits do not stop a write; a read-only mount does. Each writer
    /// pointed into one fails with one line naming the path before it does any work (nothing
    /// on stdout: `train` prints its first line only after the check).
    @Test func readOnlyFileSystemFailsBeforeTheWork() throws {
        let folder = try TemporaryFolder()
        _ = try InterruptionTests.prepareTraining(in: folder.path, epochs: 0)
        try Array(#"{"relu": {"x": [64, 64]}}"#.utf8).write(to: folder.path + "/shapes.json")
        let disk = try TestTmpfs(bytes: 1 << 20, readOnly: true)
        let target = disk.path + "/results"
        let commands: [[String]] = [
            ["op", "relu", "forward", "--in", "x=X.npy", "--out", target],
            ["scale", "--layers", "relu", "--shapes", "shapes.json", "--workers", "1", "--repeats", "1", "--warmup", "0", "--out", target],
            ["bench", "--layers", "relu", "--shapes", "shapes.json", "--repeats", "1", "--warmup", "0", "--out", target + ".json"],
            ["train", "tiny.json", "--checkpoint-dir", target],
            ["run", "tiny.json", "--steps", "1", "--dump", target],
        ]
        for arguments in commands {
            let outcome = try TesselCommand.run(arguments, in: folder.path)
            Self.expectOneErrorLine(outcome, naming: disk.path, reason: "read-only file system")
        }
    }
}

private extension Array where Element == UInt8 {
    func write(to path: String) throws { try Data(self).write(to: URL(fileURLWithPath: path)) }
}
