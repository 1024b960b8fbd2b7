/// How class scores compare with the true labels: `counts[label][predicted]` examples of each
/// class were given each class. The predicted class is the first highest score of a row, as
/// `Network.accuracy` counts it.
public struct ConfusionMatrix: Sendable, Equatable, Codable {
    /// `counts[label][predicted]`: examples of class `label` predicted as `predicted`; `classes × classes`.
    public var counts: [[Int]]

    /// The matrix of `scores` (N, classes) against `labels` (N of them, each in `0 ..< classes`).
    /// - Throws: `TesselError.shapeMismatch` (layer `confusion`) when `scores` is not
    ///   (labels.count, classes ≥ 1); `TesselError.invalidParameter` for a label outside `0 ..< classes`.
    public init<T: TesselScalar>(scores: Tensor<T>, labels: [Int]) throws {
        guard scores.rank == 2, scores.shape[0] == labels.count, scores.shape[1] >= 1 else {
            throw TesselError.shapeMismatch(component: "confusion", argument: "scores", expected: "(\(labels.count), classes ≥ 1)", actual: scores.shape)
        }
        let classes = scores.shape[1]
        if let bad = labels.first(where: { !(0..<classes).contains($0) }) {
            throw TesselError.invalidParameter(component: "confusion", parameter: "labels", value: "\(bad)", reason: "a label must lie in 0..<\(classes)")
        }
        var counts = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (row, predicted) in Self.predictions(scores).enumerated() { counts[labels[row]][predicted] += 1 }
        self.counts = counts
    }

    /// The first highest score's class of each row of `scores` (N, classes ≥ 1).
    public static func predictions<T: TesselScalar>(_ scores: Tensor<T>) -> [Int] {
        guard scores.rank == 2, scores.shape[1] >= 1 else { return [] }
        let classes = scores.shape[1]
        return scores.withUnsafeBufferPointer { s in
            (0..<scores.shape[0]).map { row in
                let offset = row * classes
                var best = 0
                for c in 1..<classes where s[offset + c] > s[offset + best] { best = c }
                return best
            }
        }
    }

    /// The number of classes.
    public var classes: Int { counts.count }
    /// Examples counted.
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    /// Examples predicted as their label (the diagonal).
    public var correct: Int { counts.indices.reduce(0) { $0 + counts[$1][$1] } }
    /// `correct / total` (0 when there are no examples).
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
}
