/// A split of `count` rows into `parts` contiguous, balanced parts: part `k` covers
/// `rows(ofPart: k)`, the first `count % parts` parts hold one row more than the others, and
/// the parts appear in order. With fewer rows than parts, the last parts are empty.
///
/// This one function decides both where a `partitioned` buffer's slices live (rows = the
/// batch dimension, parts = NUMA nodes) and which node runs a tile (rows = the tiling's rows),
/// so data and work follow the same split. It is pure: it depends only on its two numbers.
public struct Partition: Sendable, Equatable {
    /// The number of rows split.
    public let count: Int
    /// The number of parts (≥ 1).
    public let parts: Int

    /// Splits `count` rows (≥ 0) into `parts` parts (values below 1 are treated as 1).
    public init(count: Int, parts: Int) {
        precondition(count >= 0, "Partition count must not be negative")
        self.count = count
        self.parts = max(1, parts)
    }

    /// The rows of part `part` (0 ..< `parts`).
    public func rows(ofPart part: Int) -> Range<Int> {
        precondition(part >= 0 && part < parts, "part \(part) out of range 0..<\(parts)")
        return start(ofPart: part)..<start(ofPart: part + 1)
    }

    /// The part that holds row `row` (0 ..< `count`).
    public func part(ofRow row: Int) -> Int {
        precondition(row >= 0 && row < count, "row \(row) out of range 0..<\(count)")
        let small = count / parts, large = small + 1, largeParts = count % parts
        let largeRows = largeParts * large
        return row < largeRows ? row / large : largeParts + (row - largeRows) / small
    }

    /// The first row of part `part`; `start(ofPart: parts)` is `count`.
    private func start(ofPart part: Int) -> Int {
        part * (count / parts) + min(part, count % parts)
    }
}
