/// The input of a classification loss: scores `x` of shape (N, C) and labels `y`, one per row.
/// The validation and the row chunking that `SVMLoss` and `SoftmaxLoss` share.
enum ClassScores {
    /// Checks `x` and `y`; returns (N, C).
    /// - Throws: `TesselError.shapeMismatch` when `x` is not (N, C) with N ≥ 1 or `y` does not
    ///   hold N labels; `TesselError.invalidParameter` naming the first label outside 0 ..< C.
    static func validate<T>(layer: String, x: Tensor<T>, y: [Int]) throws -> (rows: Int, classes: Int) {
        guard x.rank == 2, x.shape[0] >= 1 else {
            throw TesselError.shapeMismatch(component: layer, argument: "x", expected: "(N, C) with N ≥ 1", actual: x.shape)
        }
        let (rows, classes) = (x.shape[0], x.shape[1])
        guard y.count == rows else {
            throw TesselError.shapeMismatch(component: layer, argument: "y", expected: "(N,) = (\(rows),), one label per row of x",
                                            actual: [y.count])
        }
        for (i, label) in y.enumerated() where label < 0 || label >= classes {
            throw TesselError.invalidParameter(component: layer, parameter: "y[\(i)]", value: "\(label)",
                                               reason: "a label must be in 0..<\(classes) for x of shape \(Shape.describe(x.shape))")
        }
        return (rows, classes)
    }

    /// The rows of x cut into chunks of about 2¹⁴ scores. Each chunk is one tile: it writes its
    /// rows of dx and one Double partial of the loss; the partials are added in chunk order, so
    /// the loss depends on the shape only, never on the workers or the tile settings.
    static func chunks(rows: Int, classes: Int) -> Tiling {
        Tiling.split(rows, targetItemsPerTile: (1 << 14) / max(1, classes))
    }
}
