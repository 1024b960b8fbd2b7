import Foundation
import Testing
@testable import Tessel

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
        } catch let TesselError.system(operation, reason) {
            #expect(operation.hasPrefix("write '\(path)' (creating '\(folder.path)/missing/.data.bin.tmp-"))
            #expect(reason == "No such file or directory")
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
        } catch let TesselError.system(operation, _) {
            #expect(operation.hasPrefix("write '\(target)' (renaming '\(folder.path)/.target.tmp-"))
        }
        #expect(try folder.contents() == ["target"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: target) == ["inside"])
    }

    @Test func aPathEndingInASlashIsRefused() throws {
        let folder = try TemporaryFolder()
        #expect(throws: TesselError.system(operation: "write '\(folder.path)/'", reason: "the path does not name a file")) {
            try AtomicFile.write([1], to: folder.path + "/")
        }
        #expect(throws: TesselError.system(operation: "write ''", reason: "the path does not name a file")) {
            try AtomicFile.write([1], to: "")
        }
    }

    @Test func readingAFolderThrows() throws {
        let folder = try TemporaryFolder()
        #expect(throws: TesselError.system(operation: "read '\(folder.path)'", reason: "Is a directory")) {
            try FileBytes.read(from: folder.path)
        }
    }
}
