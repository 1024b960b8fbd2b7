import Foundation

/// Runs the `tessel` executable that `swift test` built next to the test bundle, as a child
/// process, for tests of the command line (exit status, messages, files left behind, signals).
struct TesselCommand {
    /// What a finished child process left: its exit status (or the signal that ended it) and
    /// everything it wrote.
    struct Outcome {
        var status: Int32
        var endedBySignal: Bool
        var standardOutput: String
        var standardError: String
    }

    /// The child's exit status when it did not end within the time limit of `run`.
    static let timedOut: Int32 = -1

    /// The executable: the products folder is the parent of the test bundle, whose path is the
    /// running process's `/proc/self/exe` (`…/debug/TesselPackageTests.xctest`).
    static var executable: URL {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return bundle.deletingLastPathComponent().appendingPathComponent("tessel")
    }

    /// Starts `tessel arguments…` in the working folder `folder`, its output captured in files
    /// under the system's temporary folder (so `folder` holds only what the command wrote); the
    /// caller sends signals to the returned process and calls `finish` on it. With a
    /// `launcher` (a program and its first arguments), that program is started with the
    /// executable's path and `arguments` after its own, and is to `exec` it.
    static func start(_ arguments: [String], in folder: String, environment: [String: String] = [:],
                      launcher: [String] = []) throws -> Running {
        let process = Process()
        process.executableURL = launcher.first.map { URL(fileURLWithPath: $0) } ?? executable
        process.arguments = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [executable.path] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let id = UUID().uuidString
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("tessel-stdout-\(id)")
        let errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("tessel-stderr-\(id)")
        try Data().write(to: outputURL)
        try Data().write(to: errorURL)
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        defer {
            try? output.close()
            try? error.close()
        }
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        // Tests run on Dispatch's worker threads, which block almost every signal, and a child
        // starts with the signal mask of the thread that starts it: SIGINT and SIGTERM sent to it
        // would stay pending forever. Unblocked here for the moment of the start only.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &signals, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
        return Running(process: process, outputURL: outputURL, errorURL: errorURL)
    }

    /// Runs `tessel arguments…` to its end (or kills it after `timeLimit` seconds and reports
    /// `timedOut`).
    static func run(_ arguments: [String], in folder: String, environment: [String: String] = [:],
                    launcher: [String] = [], timeLimit: Double = 120) throws -> Outcome {
        let running = try start(arguments, in: folder, environment: environment, launcher: launcher)
        return running.finish(timeLimit: timeLimit)
    }

    /// A started child process.
    struct Running {
        let process: Process
        let outputURL: URL
        let errorURL: URL

        /// Waits for the child (killing it after `timeLimit` seconds), collects its output and
        /// removes the capture files.
        func finish(timeLimit: Double = 120) -> Outcome {
            let deadline = Date().addingTimeInterval(timeLimit)
            while process.isRunning && Date() < deadline { usleep(2_000) }
            let timedOut = process.isRunning
            if timedOut {
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
            let output = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
            let error = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: outputURL)
            try? FileManager.default.removeItem(at: errorURL)
            return Outcome(status: timedOut ? TesselCommand.timedOut : process.terminationStatus,
                           endedBySignal: process.terminationReason == .uncaughtSignal,
                           standardOutput: output, standardError: error)
        }
    }
}
