import Foundation
import Testing
@testable import Tessel
import TesselTestSupport
import TesselSystem

@Suite struct AtomicFileTests {
    @Test func writesANewFileAndLeavesNoTemporaryFile() throws {
        let folder = try TemporaryFolder()
        let bytes: [UInt8] = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try AtomicFile.write(bytes, to: folder.path + "/data.bin")
        #expect(try FileBytes.read(from: folder.path + "/data.bin") == bytes)
        #expect(try folder.contents() == ["data.bin"])
    }

    @Test func replacesAnExistingFile() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/data.bin"
        try AtomicFile.write(Array(repeating: 7, count: 1000), to: path)
        try AtomicFile.write([1, 2, 3], to: path)
        #expect(try FileBytes.read(from: path) == [1, 2, 3])
        try AtomicFile.write([], to: path)
        #expect(try FileBytes.read(from: path) == [])
        #expect(try folder.contents() == ["data.bin"])
    }

    @Test func writingIntoAMissingFolderThrowsAndCreatesNothing() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/missing/data.bin"
        do {
            try AtomicFile.write([1], to: path)
            Issue.record("expected an error")
        } catch let error as SystemCallError {
            #expect(error.operation.hasPrefix("write '\(path)' (creating '\(folder.path)/missing/.data.bin.tmp-"))
            #expect(error.reason == "No such file or directory")
        }
        #expect(try folder.contents() == [])
    }

    /// A rename that fails (the target is a folder that is not empty) removes the temporary file.
    @Test func aFailedRenameRemovesTheTemporaryFile() throws {
        let folder = try TemporaryFolder()
        let target = folder.path + "/target"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try AtomicFile.write([1], to: target + "/inside")
        do {
            try AtomicFile.write([1, 2], to: target)
            Issue.record("expected an error")
        } catch let error as SystemCallError {
            #expect(error.operation.hasPrefix("write '\(target)' (renaming '\(folder.path)/.target.tmp-"))
        }
        #expect(try folder.contents() == ["target"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: target) == ["inside"])
    }

    @Test func aPathEndingInASlashIsRefused() throws {
        let folder = try TemporaryFolder()
        #expect(throws: SystemCallError(operation: "write '\(folder.path)/'", reason: "the path does not name a file")) {
            try AtomicFile.write([1], to: folder.path + "/")
        }
        #expect(throws: SystemCallError(operation: "write ''", reason: "the path does not name a file")) {
            try AtomicFile.write([1], to: "")
        }
    }

    /// The library's writers throw a failed write (a Float or a Double array into a missing
    /// folder) as `TesselError.system`, with the same texts.
    @Test func theLibraryThrowsSystemCallErrorsAsTesselErrors() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/missing/x.npy"
        let writes: [() throws -> Void] = [{ try NPY.write(try Tensor<Float>(shape: [2]), to: path) },
                                           { try NPY.write(try Tensor<Double>(shape: [2]), to: path) }]
        for write in writes {
            do {
                try write()
                Issue.record("expected an error")
            } catch let TesselError.system(operation, reason) {
                #expect(operation.hasPrefix("write '\(path)' (creating '\(folder.path)/missing/.x.npy.tmp-"))
                #expect(reason == "No such file or directory")
            }
        }
        let error = SystemCallError(operation: "write 'a'", reason: "No space left on device")
        #expect("\(TesselError(error))" == "\(error)")
    }

    @Test func readingAFolderThrows() throws {
        let folder = try TemporaryFolder()
        #expect(throws: TesselError.system(operation: "read '\(folder.path)'", reason: "Is a directory")) {
            try FileBytes.read(from: folder.path)
        }
    }

    /// A process id that no process has: above the kernel's largest.
    static let goneProcess: pid_t = .max

    @Test func temporaryNamesCarryTheWritersProcessID() {
        let name = TemporaryName.make(for: "out.npy")
        #expect(name.hasPrefix(".out.npy.tmp-\(getpid())-"))
        #expect(TemporaryName.parse(name)?.name == "out.npy" && TemporaryName.parse(name)?.owner == getpid())
        #expect(TemporaryName.parse(".a.tmp-b.tmp-12-x")?.name == "a.tmp-b")
        for other in ["out.npy", ".out.npy", ".out.npy.tmp-", ".out.npy.tmp-12", ".out.npy.tmp-12-", ".out.npy.tmp-x-1", ".out.npy.tmp-0-a",
                      "..tmp-12-a", "out.npy.tmp-12-a"] {
            #expect(TemporaryName.parse(other) == nil, "\(other)")
        }
    }

    /// What a killed writer left (a temporary file of a process that is gone) is removed by
    /// the next write of the same target; those of live processes and of other targets stay.
    @Test func aWriteRemovesTheTemporaryFilesOfKilledWritersOfItsTarget() throws {
        let folder = try TemporaryFolder()
        let strays = [".data.bin.tmp-\(Self.goneProcess)-abc", ".data.bin.tmp-\(Self.goneProcess)-def"]
        let kept = [".data.bin.tmp-1-abc", ".other.bin.tmp-\(Self.goneProcess)-abc", ".data.bin.tmp-\(getpid())-abc"]
        for name in strays + kept { try AtomicFile.write([9], to: folder.path + "/" + name) }
        try AtomicFile.write([1, 2], to: folder.path + "/data.bin")
        #expect(try folder.contents() == (kept + ["data.bin"]).sorted())
    }

    @Test func severalFilesAreWrittenTogether() throws {
        let folder = try TemporaryFolder()
        try AtomicFile.write([(path: folder.path + "/a", bytes: [1]), (path: folder.path + "/b", bytes: [2, 3])])
        #expect(try FileBytes.read(from: folder.path + "/a") == [1] && FileBytes.read(from: folder.path + "/b") == [2, 3])
        #expect(try folder.contents() == ["a", "b"])
    }

    /// A file that cannot be written leaves every file of the call as it was, and no temporary file.
    @Test func aFailureLeavesEveryFileOfTheCallAsItWas() throws {
        let folder = try TemporaryFolder()
        try AtomicFile.write([(path: folder.path + "/a", bytes: [1]), (path: folder.path + "/b", bytes: [2])])
        #expect(throws: SystemCallError.self) {
            try AtomicFile.write([(path: folder.path + "/a", bytes: [5]), (path: folder.path + "/missing/b", bytes: [6]),
                                  (path: folder.path + "/b", bytes: [7])])
        }
        #expect(try FileBytes.read(from: folder.path + "/a") == [1] && FileBytes.read(from: folder.path + "/b") == [2])
        #expect(try folder.contents() == ["a", "b"])
    }

    @Test func pathExchangeSwapsTwoFoldersThatHoldFiles() throws {
        let folder = try TemporaryFolder()
        for name in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: folder.path + "/" + name, withIntermediateDirectories: false)
            try AtomicFile.write([1], to: folder.path + "/\(name)/in-\(name)")
        }
        #expect(PathExchange.swap(folder.path + "/a", folder.path + "/b"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/a") == ["in-b"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/b") == ["in-a"])
        #expect(!PathExchange.swap(folder.path + "/a", folder.path + "/missing"))
        #expect(try folder.contents() == ["a", "b"])
    }
}
