import RealModule
import Tessel

extension ScalingReport {
    /// Colours of the layer lines: Tableau 10 and two more, distinct on white and for the
    /// common forms of colour blindness when read together with the legend's order.
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                          "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1f3b73", "#8cd17d"]

    /// A standalone SVG chart of speedup against workers: one line per layer with a marker at
    /// each measured point (hover shows its values), the ideal diagonal, labelled axes, and a
    /// legend ordered by the speedup at the most workers.
    public func svgChart() -> String {
        let width = 980.0, height = 620.0
        let plot = (left: 80.0, top: 78.0, right: 700.0, bottom: 540.0)
        let counts = Set(layers.flatMap { $0.points.map(\.workers) })
        let maxWorkers = Double(max(counts.max() ?? 1, 2))
        let maxSpeedup = layers.flatMap { $0.points.map(\.speedup) }.max() ?? 1
        let yTop = Self.niceCeiling(max(maxWorkers, maxSpeedup) * 1.05)
        func x(_ workers: Double) -> Double { plot.left + (workers - 1) / (maxWorkers - 1) * (plot.right - plot.left) }
        func y(_ speedup: Double) -> Double { plot.bottom - speedup / yTop * (plot.bottom - plot.top) }
        func f(_ value: Double) -> String { DecimalText.fixed(value, 1) }

        var svg: [String] = []
        svg.append(##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(f(width))" height="\##(f(height))" viewBox="0 0 \##(f(width)) \##(f(height))" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif">"##)
        svg.append(##"<rect width="100%" height="100%" fill="white"/>"##)
        let most = Int(maxWorkers)
        svg.append(##"<text x="\##(f(plot.left))" y="34" font-size="20" font-weight="600" fill="#222">Tessel: speedup over 1 worker, forward + backward</text>"##)
        let load = loadAverageBefore.first.map { " · load average \(DecimalText.fixed($0, 2)) before" } ?? ""
        svg.append(##"<text x="\##(f(plot.left))" y="56" font-size="13" fill="#555">Median of \##(repeats) runs · \##(onlineCPUs) online CPUs\##(load) · higher is better, the dashed diagonal is ideal</text>"##)

        // Grid and ticks.
        for tick in Self.ticks(upTo: yTop) {
            svg.append(##"<line x1="\##(f(plot.left))" y1="\##(f(y(tick)))" x2="\##(f(plot.right))" y2="\##(f(y(tick)))" stroke="#e6e6e6"/>"##)
            svg.append(##"<text x="\##(f(plot.left - 10))" y="\##(f(y(tick) + 4))" font-size="13" text-anchor="end" fill="#444">\##(Self.tickLabel(tick))</text>"##)
        }
        var lastLabel = -Double.infinity
        for workers in Self.workerTicks(measured: counts, upTo: most) {
            let px = x(Double(workers))
            svg.append(##"<line x1="\##(f(px))" y1="\##(f(plot.top))" x2="\##(f(px))" y2="\##(f(plot.bottom))" stroke="#e6e6e6"/>"##)
            // Labels closer than a few characters to the previous one would run together.
            if px - lastLabel >= 24 || workers == most {
                svg.append(##"<text x="\##(f(px))" y="\##(f(plot.bottom + 20))" font-size="13" text-anchor="middle" fill="#444">\##(workers)</text>"##)
                lastLabel = px
            }
        }
        svg.append(##"<rect x="\##(f(plot.left))" y="\##(f(plot.top))" width="\##(f(plot.right - plot.left))" height="\##(f(plot.bottom - plot.top))" fill="none" stroke="#999"/>"##)
        svg.append(##"<text x="\##(f((plot.left + plot.right) / 2))" y="\##(f(plot.bottom + 48))" font-size="15" text-anchor="middle" fill="#222">workers (threads)</text>"##)
        svg.append(##"<text transform="translate(26 \##(f((plot.top + plot.bottom) / 2))) rotate(-90)" font-size="15" text-anchor="middle" fill="#222">speedup over 1 worker (×)</text>"##)

        // The ideal diagonal, clipped to the plot.
        let idealEnd = min(maxWorkers, yTop)
        svg.append(##"<line x1="\##(f(x(1)))" y1="\##(f(y(1)))" x2="\##(f(x(idealEnd)))" y2="\##(f(y(idealEnd)))" stroke="#777" stroke-width="1.5" stroke-dasharray="7 5"/>"##)
        // The label sits above the diagonal, along it, where measured lines (at or below ideal) do not reach.
        let labelAt = 1 + (idealEnd - 1) * 0.6
        let angle = Double.atan2(y: y(idealEnd) - y(1), x: x(idealEnd) - x(1)) * 180 / .pi
        svg.append(##"<text transform="translate(\##(f(x(labelAt))) \##(f(y(labelAt) - 8))) rotate(\##(f(angle)))" font-size="13" text-anchor="middle" fill="#777">ideal (speedup = workers)</text>"##)

        // One line per layer; the legend lists them by final speedup, best first.
        let order = layers.indices.sorted { (layers[$0].points.last?.speedup ?? 0) > (layers[$1].points.last?.speedup ?? 0) }
        for (index, layer) in layers.enumerated() {
            let colour = Self.palette[index % Self.palette.count]
            let dash = index >= Self.palette.count ? ##" stroke-dasharray="4 3""## : ""
            let points = layer.points.map { "\(f(x(Double($0.workers)))),\(f(y($0.speedup)))" }.joined(separator: " ")
            svg.append(##"<g><title>\##(Self.escape(layer.name))</title><polyline points="\##(points)" fill="none" stroke="\##(colour)" stroke-width="2.5" stroke-linejoin="round"\##(dash)/>"##)
            for point in layer.points {
                svg.append(##"<circle cx="\##(f(x(Double(point.workers))))" cy="\##(f(y(point.speedup)))" r="4.5" fill="\##(colour)" stroke="white" stroke-width="1.5"><title>\##(Self.escape(layer.name)): \##(point.workers) workers, \##(DecimalText.fixed(point.speedup, 2))× (\##(DecimalText.duration(point.medianSeconds)))</title></circle>"##)
            }
            svg.append("</g>")
        }
        let legendX = plot.right + 30
        svg.append(##"<text x="\##(f(legendX))" y="\##(f(plot.top + 4))" font-size="13" font-weight="600" fill="#222">layer · speedup at \##(most) workers</text>"##)
        for (row, index) in order.enumerated() {
            let layer = layers[index], rowY = plot.top + 28 + Double(row) * 24
            let colour = Self.palette[index % Self.palette.count]
            let dash = index >= Self.palette.count ? ##" stroke-dasharray="4 3""## : ""
            svg.append(##"<line x1="\##(f(legendX))" y1="\##(f(rowY - 4))" x2="\##(f(legendX + 28))" y2="\##(f(rowY - 4))" stroke="\##(colour)" stroke-width="2.5"\##(dash)/>"##)
            svg.append(##"<circle cx="\##(f(legendX + 14))" cy="\##(f(rowY - 4))" r="4.5" fill="\##(colour)" stroke="white" stroke-width="1.5"/>"##)
            let speedup = layer.points.last.map { DecimalText.fixed($0.speedup, 2) + "×" } ?? ""
            svg.append(##"<text x="\##(f(legendX + 38))" y="\##(f(rowY))" font-size="13" fill="#222">\##(Self.escape(layer.name))</text>"##)
            svg.append(##"<text x="\##(f(width - 24))" y="\##(f(rowY))" font-size="13" text-anchor="end" fill="#222">\##(speedup)</text>"##)
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// The smallest of 1, 2, 2.5, 5 × 10ᵏ at or above `value` (a positive number).
    static func niceCeiling(_ value: Double) -> Double {
        var magnitude = 1.0
        while magnitude > value { magnitude /= 10 }
        while magnitude * 10 <= value { magnitude *= 10 }
        for step in [1.0, 2, 2.5, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    /// About five to ten evenly spaced speedup ticks from 0 to `top`.
    static func ticks(upTo top: Double) -> [Double] {
        let step = niceCeiling(top / 8)
        return stride(from: 0, through: top + step / 1000, by: step).map { $0 }
    }

    /// `2` for 2.0, `2.5` for 2.5.
    static func tickLabel(_ value: Double) -> String {
        value == value.rounded() ? DecimalText.fixed(value, 0) : DecimalText.fixed(value, 1)
    }

    /// Worker ticks: the measured counts when there are few, else evenly spaced nice values.
    static func workerTicks(measured: Set<Int>, upTo most: Int) -> [Int] {
        if measured.count <= 16 { return measured.union([1]).sorted() }
        let step = max(1, Int(niceCeiling(Double(most) / 10)))
        return [1] + stride(from: step, through: most, by: step).map { $0 }
    }

    /// `text` with the characters XML reserves escaped.
    static func escape(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
            .replacing("\"", with: "&quot;")
    }
}
