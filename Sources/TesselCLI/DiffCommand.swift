import ArgumentParser
import FoundationEssentials
import Tessel

/// `tessel diff A B`: compare two `.npy` files, or two folders of them, bit for bit.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two .npy files, or two folders of them (dumps, checkpoints, traces), bit for bit.",
        discussion: """
            For each tensor: identical or not, and for a difference the first differing element \
            (its index and flat index, both values and bit patterns, their distance in ULPs), the \
            number of differing elements and the largest absolute and relative difference. Folders \
            are compared through their subfolders by relative path, in byte order of the paths: \
            files on one side only, type and shape mismatches are named; files other than .npy \
            (manifest.json) are compared byte for byte. The last line names the first difference, \
            which for two --trace folders is the first tensor of the step where the runs part. \
            Exit status: 0 when everything is identical, 1 when something differs, 2 on bad input \
            (a missing path, a file that is not a valid .npy, a file against a folder).
            """
    )

    @Argument(help: "A .npy file or a folder.")
    var a: String

    @Argument(help: "A .npy file or a folder, the same kind as A.")
    var b: String

    @Flag(name: .long, help: "Print the comparison as JSON.")
    var json = false

    func run() throws {
        let report = try DiffReport(comparing: a, b)
        if json {
            print(try JSONOutput.text(JSONReport(report: report, identical: report.isIdentical, firstDifference: report.firstDifference?.name)))
        } else {
            printText(report)
        }
        if !report.isIdentical { throw ExitCode(1) }
    }

    private func printText(_ report: DiffReport) {
        for entry in report.entries {
            let name = report.comparesFolders ? entry.name : "\(report.a) vs \(report.b)"
            print("\(name): " + Self.summary(entry))
            if let elements = entry.elements { Self.details(elements, dtype: entry.dtypeA ?? "").forEach { print("    " + $0) } }
        }
        guard report.comparesFolders else { return }
        var counts: [DiffEntry.Status: Int] = [:]
        for entry in report.entries { counts[entry.status, default: 0] += 1 }
        let order: [DiffEntry.Status] = [.identical, .different, .onlyInA, .onlyInB, .dtypeMismatch, .shapeMismatch]
        let tally = order.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }
        let total = "\(report.entries.count) file\(report.entries.count == 1 ? "" : "s")"
        let first = report.firstDifference.map { "first difference: \($0.name)" } ?? "no difference"
        print("\(total) (\(tally.isEmpty ? "none" : tally.joined(separator: ", "))); \(first)")
    }

    /// The rest of an entry's line: what it is and how the two sides compare.
    private static func summary(_ entry: DiffEntry) -> String {
        let array = { (dtype: String?, shape: [Int]?) in "\(dtype ?? "?") \(Shape.describe(shape ?? []))" }
        switch entry.status {
        case .onlyInA, .onlyInB:
            return entry.status.rawValue
        case .dtypeMismatch, .shapeMismatch:
            return "\(entry.status.rawValue): \(array(entry.dtypeA, entry.shapeA)) vs \(array(entry.dtypeB, entry.shapeB))"
        case .identical:
            if let bytes = entry.bytesA { return "identical (\(bytes) bytes)" }
            return "identical (\(array(entry.dtypeA, entry.shapeA)))"
        case .different:
            if let elements = entry.elements {
                return "\(elements.differing) of \(elements.elements) elements differ (\(array(entry.dtypeA, entry.shapeA)))"
            }
            return "bytes differ from byte \(entry.firstDifferingByte ?? 0) (\(entry.bytesA ?? 0) and \(entry.bytesB ?? 0) bytes)"
        }
    }

    /// The indented lines under a differing array: its first difference, then the largest.
    private static func details(_ d: ElementDifference, dtype: String) -> [String] {
        let digits = dtype.hasSuffix("32") ? 8 : 16
        let hex = { (bits: UInt64) in
            let text = String(bits, radix: 16)
            return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        let ulps = { (distance: UInt64?) in distance.map { "\($0) ULP\($0 == 1 ? "" : "s")" } }
        var first = "first at [\(d.firstIndex.map(String.init).joined(separator: ", "))] (flat \(d.firstFlatIndex)): "
            + "\(d.firstA) vs \(d.firstB) (bits \(hex(d.firstBitsA)) vs \(hex(d.firstBitsB)))"
        if let distance = ulps(d.firstULPs) {
            first += ", \(distance) apart"
        } else if dtype.hasPrefix("float") {
            first += ", no ULP distance (NaN)"
        }
        var largest = "largest difference: \(TextFormat.number("%.3g", d.largestAbsolute)) absolute, "
            + "\(TextFormat.number("%.3g", d.largestRelative)) relative"
        if let distance = ulps(d.largestULPs) { largest += ", \(distance)" }
        if d.nonFinite > 0 { largest += " (\(d.nonFinite) pairs with NaN or infinity left out of absolute and relative)" }
        return [first, largest]
    }

    /// The `--json` output: the report, whether it is identical, and the first difference's name.
    struct JSONReport: Encodable {
        var report: DiffReport
        var identical: Bool
        var firstDifference: String?
    }
}
