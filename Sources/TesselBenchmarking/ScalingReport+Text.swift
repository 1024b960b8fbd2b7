import Tessel

extension ScalingReport {
    /// The report as text for a terminal: a table per layer (median time of a step, speedup
    /// over 1 worker, parallel efficiency, rate, and the Amdahl fit with its predictions at 16
    /// and 64 cores), a summary with one row per layer, and the scheduler overhead.
    public func table() -> String {
        var lines: [String] = []
        let load = { (averages: [Double]) in averages.isEmpty ? "unknown" : averages.map { DecimalText.fixed($0, 2) }.joined(separator: ", ") }
        lines.append("tessel scale: \(onlineCPUs) online CPUs, median of \(repeats) runs after \(warmup) warm-up, grain \(grainSize)")
        lines.append("load average before: \(load(loadAverageBefore)); after: \(load(loadAverageAfter))")
        for layer in layers {
            lines.append("")
            lines.append("\(layer.name)  \(layer.shape)  [\(layer.passes.joined(separator: "+"))]")
            lines.append("  " + DecimalText.right("workers", 7) + DecimalText.right("median", 12) + DecimalText.right("speedup", 10)
                + DecimalText.right("efficiency", 13) + DecimalText.right(layer.unit.rawValue, 12))
            for point in layer.points {
                lines.append("  " + DecimalText.right("\(point.workers)", 7)
                    + DecimalText.right(DecimalText.duration(point.medianSeconds), 12)
                    + DecimalText.right(DecimalText.fixed(point.speedup, 2) + "×", 10)
                    + DecimalText.right(DecimalText.fixed(point.efficiency * 100, 0) + "%", 13)
                    + DecimalText.right(DecimalText.fixed(point.throughput, 1), 12))
            }
            if let fit = layer.amdahl, let s16 = layer.predicted16, let s64 = layer.predicted64 {
                lines.append("  Amdahl serial fraction s = \(DecimalText.fixed(fit.serialFraction, 3)): predicted speedup "
                    + "\(DecimalText.fixed(s16, 1))× on 16 cores, \(DecimalText.fixed(s64, 1))× on 64 cores")
            }
        }
        if !layers.isEmpty, let most = layers[0].points.last?.workers, most > 1 {
            lines.append("")
            lines.append("Summary (\(most) workers against 1)")
            let nameWidth = max(5, layers.map(\.name.count).max()!)
            lines.append(DecimalText.left("layer", nameWidth) + DecimalText.right("1 worker", 11) + DecimalText.right("\(most) workers", 12)
                + DecimalText.right("speedup", 10) + DecimalText.right("efficiency", 13) + DecimalText.right("serial s", 11)
                + DecimalText.right("S(16)", 8) + DecimalText.right("S(64)", 8))
            for layer in layers {
                let one = layer.points[0], last = layer.points[layer.points.count - 1]
                lines.append(DecimalText.left(layer.name, nameWidth)
                    + DecimalText.right(DecimalText.duration(one.medianSeconds), 11)
                    + DecimalText.right(DecimalText.duration(last.medianSeconds), 12)
                    + DecimalText.right(DecimalText.fixed(last.speedup, 2) + "×", 10)
                    + DecimalText.right(DecimalText.fixed(last.efficiency * 100, 0) + "%", 13)
                    + DecimalText.right(layer.amdahl.map { DecimalText.fixed($0.serialFraction, 3) } ?? "-", 11)
                    + DecimalText.right(layer.predicted16.map { DecimalText.fixed($0, 1) + "×" } ?? "-", 8)
                    + DecimalText.right(layer.predicted64.map { DecimalText.fixed($0, 1) + "×" } ?? "-", 8))
            }
        }
        if !overhead.isEmpty {
            lines.append("")
            lines.append("Scheduler overhead (median per call)")
            let tiny = "ReLU \(Shape.describe(tinyShape)), 16 tiles, grain 0"
            lines.append("  " + DecimalText.right("workers", 7) + DecimalText.right("empty parallel call", 22) + DecimalText.right(tiny, tiny.count + 3))
            for entry in overhead {
                lines.append("  " + DecimalText.right("\(entry.workers)", 7)
                    + DecimalText.right(DecimalText.duration(entry.emptyCallSeconds), 22)
                    + DecimalText.right(DecimalText.duration(entry.tinyCallSeconds), tiny.count + 3))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
