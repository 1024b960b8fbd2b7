/// Helpers for tensor shapes, which Tessel represents as `[Int]` (row-major, NCHW for images).
public enum Shape {
    /// The number of elements of `shape`, or a thrown `TesselError.invalidShape` when a
    /// dimension is negative or the product overflows `Int`.
    public static func elementCount(_ shape: [Int]) throws -> Int {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else {
                throw TesselError.invalidShape(shape: shape, reason: "dimension \(dimension) is negative")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else {
                throw TesselError.invalidShape(shape: shape, reason: "element count overflows Int")
            }
            count = product
        }
        return count
    }

    /// `(2, 3, 4)` for `[2, 3, 4]`, `(5,)` for `[5]`, `()` for a scalar, as NumPy prints shapes.
    public static func describe(_ shape: [Int]) -> String {
        if shape.count == 1 { return "(\(shape[0]),)" }
        return "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}
