import Tessel

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TesselSystem

extension ScalingReport {
    /// The file names `write(toFolder:)` writes.
    public static let fileNames = (csv: "scaling.csv", json: "scaling.json", svg: "scaling.svg")

    /// One row per layer and worker count, with a header row: `layer, shape, workers,
    /// median_s, min_s, max_s, speedup, efficiency, throughput, unit, amdahl_serial_fraction`
    /// (times in seconds; the fit repeats on every row of its layer, empty when there is none).
    public func csv() -> String {
        var rows = ["layer,shape,workers,median_s,min_s,max_s,speedup,efficiency,throughput,unit,amdahl_serial_fraction"]
        for layer in layers {
            for point in layer.points {
                let fields: [String] = [
                    layer.name, "\"" + layer.shape.replacing("\"", with: "\"\"") + "\"", "\(point.workers)",
                    "\(point.medianSeconds)", "\(point.minimumSeconds)", "\(point.maximumSeconds)",
                    "\(point.speedup)", "\(point.efficiency)", "\(point.throughput)", layer.unit.rawValue,
                    layer.amdahl.map { "\($0.serialFraction)" } ?? "",
                ]
                rows.append(fields.joined(separator: ","))
            }
        }
        return rows.joined(separator: "\n") + "\n"
    }

    /// The whole report as pretty-printed JSON with sorted keys (decodable as `ScalingReport`).
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    /// Writes `scaling.csv`, `scaling.json` and `scaling.svg` into the existing `folder`, each
    /// atomically, all three flushed before any replaces its old version (`AtomicFile.write`
    /// of several files): a failure leaves the previous files as they were.
    /// - Throws: `TesselError.system` naming the path when a file cannot be written (the
    ///   folder does not exist or is not writable).
    public func write(toFolder folder: String) throws {
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        let files = [(base + Self.fileNames.csv, Array(csv().utf8)), (base + Self.fileNames.json, try json()),
                     (base + Self.fileNames.svg, Array(svgChart().utf8))]
        try TesselError.translatingSystemErrors { try AtomicFile.write(files) }
    }
}
