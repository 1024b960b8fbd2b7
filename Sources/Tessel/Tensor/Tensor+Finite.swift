extension Tensor {
    /// The row-major position of the first element that is NaN or ±∞, or nil when every
    /// element is finite. The layers never scan their inputs (NaN in gives NaN out); the
    /// readers of data files (`Dataset.load`, `tessel op`) use this to refuse such files.
    public func firstNonFiniteIndex() -> Int? {
        withUnsafeBufferPointer { scalars in scalars.firstIndex { !$0.isFinite } }
    }

    /// A one-line description of the first non-finite element, e.g. `element 3 (index (0, 3))
    /// is nan`, or nil when every element is finite.
    public func nonFiniteDescription() -> String? {
        guard let index = firstNonFiniteIndex() else { return nil }
        var position: [Int] = [], rest = index
        for dimension in shape.reversed() {
            position.insert(rest % dimension, at: 0)
            rest /= dimension
        }
        return "element \(index) (index \(Shape.describe(position))) is \(self[flat: index])"
    }
}
