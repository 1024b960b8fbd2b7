import Tessel
import TesselBenchmarking
#if canImport(Glibc)
import Glibc
#endif

/// Shows how far `tessel scale` has come, on stderr: a redrawn progress bar (task, worker
/// count, elapsed time) when stderr is a terminal, otherwise one plain line per finished
/// layer, so that logs stay readable.
struct ProgressDisplay {
    private let terminal = isatty(STDERR_FILENO) == 1
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let layerCount: Int
    private var layersDone = 0
    private var announcedOverhead = false

    init(layerCount: Int, workerCounts: [Int]) {
        start = clock.now
        self.layerCount = layerCount
        if !terminal {
            let counts = workerCounts.map(String.init).joined(separator: ",")
            FileHandleOutput.write("scale: \(layerCount) workloads at workers \(counts)\n", to: STDERR_FILENO)
        }
    }

    /// Seconds since the display was made, as text.
    private var elapsed: String {
        let (seconds, attoseconds) = start.duration(to: clock.now).components
        let tenths = Int(seconds) * 10 + Int(attoseconds / 100_000_000_000_000_000)
        return "\(tenths / 10).\(tenths % 10) s"
    }

    mutating func show(_ event: ScalingStudy.Event) {
        switch event {
        case let .step(task, workers, completed, total):
            if terminal {
                let width = 28
                let filled = total > 0 ? completed * width / total : width
                let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
                let percent = total > 0 ? completed * 100 / total : 100
                let workerText = workers == 1 ? "1 worker" : "\(workers) workers"
                // Carriage return and erase-line redraw the bar in place.
                FileHandleOutput.write("\r\u{1B}[2K\(bar) \(percent)%  \(task) · \(workerText) · \(elapsed)", to: STDERR_FILENO)
            } else if task == "scheduler overhead" && !announcedOverhead {
                announcedOverhead = true
                FileHandleOutput.write("scale: measuring the scheduler overhead (\(elapsed) elapsed)\n", to: STDERR_FILENO)
            }
        case let .layerFinished(layer, _, _):
            layersDone += 1
            if !terminal {
                let points = layer.points.map { point in
                    "\(point.workers == 1 ? "1 worker" : "\(point.workers) workers") \(Self.milliseconds(point.medianSeconds))"
                }.joined(separator: ", ")
                FileHandleOutput.write("scale: [\(layersDone)/\(layerCount)] \(layer.name): \(points) (\(elapsed) elapsed)\n", to: STDERR_FILENO)
            }
        }
    }

    /// Clears the bar so that the table starts on a clean line.
    func finish() {
        FileHandleOutput.write(terminal ? "\r\u{1B}[2K" : "scale: done in \(elapsed)\n", to: STDERR_FILENO)
    }

    private static func milliseconds(_ seconds: Double) -> String {
        let hundredths = Int((seconds * 1e5).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction) ms"
    }
}
