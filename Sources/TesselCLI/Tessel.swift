import ArgumentParser
import Tessel

/// The `tessel` command: a thin face over the Tessel library.
@main
struct TesselCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessel",
        abstract: "A multicore parallel runtime for neural-network layers.",
        subcommands: [TopologyCommand.self]
    )
}
