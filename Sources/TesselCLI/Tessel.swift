import ArgumentParser
import Tessel
#if canImport(Glibc)
import Glibc
#endif

/// The `tessel` command: a thin face over the Tessel library.
///
/// Exit status: 0 on success, 2 on any bad input (a usage error, a bad parameter, an
/// unreadable file, a shape the layer rejects), with a one-line message on stderr.
@main
struct TesselCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessel",
        abstract: "A multicore parallel runtime for neural-network layers.",
        subcommands: [TopologyCommand.self]
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            if let exit = error as? ExitCode { Glibc.exit(exit.rawValue) }
            let message = (error as? TesselError).map { "error: \($0)" } ?? fullMessage(for: error)
            FileHandleOutput.standardError(message.split(separator: "\n").first.map(String.init) ?? message)
            Glibc.exit(2)
        }
    }
}

/// Minimal stderr output without Foundation.
enum FileHandleOutput {
    static func standardError(_ line: String) {
        var text = line
        if !text.hasSuffix("\n") { text += "\n" }
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
