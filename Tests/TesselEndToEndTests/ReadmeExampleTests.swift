import Foundation
import Testing

/// The README's "network built and trained from Swift" program, taken from README.md at test
/// time (the fenced block after the sentence naming this test), compiled with `swiftc` against
/// the library this test run built, and run for one epoch instead of fifteen (debug builds are
/// slow): it must compile as printed and learn. The library is linked from libTesselC.so, which
/// holds it whole; the program is compiled without a sanitizer, so the test runs only where the
/// test binary has none.
@Suite struct ReadmeExampleTests {
    static let root = String(#filePath.dropLast("/Tests/TesselEndToEndTests/ReadmeExampleTests.swift".count))

    /// Whether this process runs under AddressSanitizer or ThreadSanitizer.
    static let sanitized = ["__asan_init", "__tsan_init"].contains { (name: String) in dlsym(dlopen(nil, RTLD_NOW), name) != nil }

    /// The program: the first ```swift block after the line that names this test.
    static func program() throws -> String {
        let readme = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false)
        let mention = try #require(lines.firstIndex { $0.contains("by the test `ReadmeExampleTests`") }, "README.md names this test")
        let start = try #require(lines[mention...].firstIndex { $0 == "```swift" }, "a swift block follows")
        let end = try #require(lines[(start + 1)...].firstIndex { $0 == "```" }, "the block ends")
        return lines[(start + 1)..<end].joined(separator: "\n") + "\n"
    }

    /// Runs `arguments` (the program first) in `folder` to its end; its exit status and output.
    static func run(_ arguments: [String], in folder: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test(.enabled(if: !sanitized, "the README program is compiled without a sanitizer"))
    func theReadmeTrainingProgramLearns() throws {
        let source = try Self.program()
        #expect(source.contains("import Tessel") && source.contains("trainer.trainEpoch"))
        let epochs = "epochs: 15"
        #expect(source.components(separatedBy: epochs).count == 2, "the program trains for \(epochs)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessel-readme-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try source.replacingOccurrences(of: epochs, with: "epochs: 1").write(toFile: folder + "/main.swift", atomically: true, encoding: .utf8)

        // The products folder is the test bundle's (…/debug); the modules are in its Modules/,
        // swift-numerics' C shim module in the build folder's checkouts.
        let products = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
        let buildFolder = URL(fileURLWithPath: products).deletingLastPathComponent().deletingLastPathComponent().path
        let compile = try Self.run(["swiftc", "-I", products + "/Modules", "-I", Self.root + "/Sources/CNuma",
                                    "-I", Self.root + "/Sources/CCacheHints",
                                    "-I", buildFolder + "/checkouts/swift-numerics/Sources/_NumericsShims/include",
                                    "main.swift", "-o", "readme", "-L", products, "-lTesselC", "-Xlinker", "-rpath", "-Xlinker", products],
                                   in: folder)
        try #require(compile.status == 0, "swiftc: \(compile.output)")

        let run = try Self.run([folder + "/readme"], in: Self.root)
        #expect(run.status == 0, "\(run.output)")
        let last = try #require(run.output.split(separator: "\n").last { $0.hasPrefix("epoch 1:") }, "\(run.output)")
        let accuracy = try #require(last.split(separator: " ").last.flatMap { Double($0) })
        // Chance is 10%.
        #expect(accuracy > 0.6, "\(last)")
    }
}
