import ArgumentParser
import Tessel
#if canImport(Glibc)
import Glibc
#endif

/// The `tessel` command: a thin face over the Tessel library.
///
/// Exit status: 0 on success, 2 on any bad input (a usage error, a bad parameter, an
/// unreadable file, a shape the layer rejects), with a one-line message on stderr; 1 when
/// `diff` finds a difference or `run --check` an error above its limit.
@main
struct TesselCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessel",
        abstract: "A multicore parallel runtime for neural-network layers.",
        subcommands: [RunCommand.self, TrainCommand.self, PredictCommand.self, OpCommand.self, ScaleCommand.self, BenchCommand.self,
                      TopologyCommand.self, NumaCheckCommand.self, GoldenCommand.self, DiffCommand.self]
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
            let line = oneLine(message)
            // ArgumentParser writes "Error: "; every line of ours starts "error: ".
            FileHandleOutput.standardError(line.hasPrefix("Error: ") ? "error: " + line.dropFirst(7) : line)
            Glibc.exit(2)
        }
    }

    /// The first line of an error message, with the list that ArgumentParser writes on the lines
    /// below a line ending in a colon ("Please provide one of the following:", "- conv", …)
    /// joined onto it.
    static func oneLine(_ message: String) -> String {
        let lines = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = lines.first else { return message }
        guard first.hasSuffix(":") else { return first }
        let items = lines.dropFirst().prefix { $0.hasPrefix("- ") }.map { $0.dropFirst(2) }
        return items.isEmpty ? first : first + " " + items.joined(separator: ", ")
    }
}

/// Minimal stderr output without Foundation.
enum FileHandleOutput {
    static func standardError(_ line: String) {
        write(line.hasSuffix("\n") ? line : line + "\n", to: STDERR_FILENO)
    }

    /// Writes `text` as it is (no newline added) to the file descriptor `descriptor`.
    static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    }
}
