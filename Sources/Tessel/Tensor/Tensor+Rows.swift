extension Tensor {
    /// The rows `range` of a tensor of rank ≥ 1 along its first dimension, as a new tensor
    /// (a copy) of shape `(range.count, shape[1...])`, from `allocator`.
    /// - Throws: `TesselError.invalidShape` when the tensor has rank 0 or `range` is not
    ///   within `0 ..< shape[0]`; `TesselError.outOfMemory` when the copy cannot be allocated.
    public func rows(_ range: Range<Int>, allocator: Allocator = .standard) throws -> Tensor {
        guard rank >= 1, range.lowerBound >= 0, range.upperBound <= shape[0] else {
            throw TesselError.invalidShape(shape: shape, reason: "has no rows \(range.lowerBound)..<\(range.upperBound)")
        }
        let rowLength = shape[0] == 0 ? 0 : count / shape[0]
        var result = try Tensor.uninitialized(shape: [range.count] + shape.dropFirst(), allocator: allocator)
        withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { destination in
                guard rowLength * range.count > 0 else { return }
                destination.baseAddress!.update(from: source.baseAddress! + range.lowerBound * rowLength, count: rowLength * range.count)
            }
        }
        return result
    }

    /// `parts` stacked along their first dimension: shape `(Σ parts[k].shape[0], shape[1...])`.
    /// A single part is returned as it is (no copy).
    /// - Throws: `TesselError.invalidShape` when `parts` is empty or the parts differ in rank
    ///   or in a dimension after the first; `TesselError.outOfMemory`.
    public static func concatenatingRows(_ parts: [Tensor], allocator: Allocator = .standard) throws -> Tensor {
        guard let first = parts.first, first.rank >= 1 else {
            throw TesselError.invalidShape(shape: parts.first?.shape ?? [], reason: "cannot stack no tensors, or tensors of rank 0")
        }
        if parts.count == 1 { return first }
        let tail = Array(first.shape.dropFirst())
        if let odd = parts.first(where: { $0.rank != first.rank || Array($0.shape.dropFirst()) != tail }) {
            throw TesselError.invalidShape(shape: odd.shape, reason: "cannot stack it under rows of shape \(Shape.describe(tail))")
        }
        var result = try Tensor.uninitialized(shape: [parts.reduce(0) { $0 + $1.shape[0] }] + tail, allocator: allocator)
        result.withUnsafeMutableBufferPointer { destination in
            var offset = 0
            for part in parts {
                part.withUnsafeBufferPointer { source in
                    guard !source.isEmpty else { return }
                    (destination.baseAddress! + offset).update(from: source.baseAddress!, count: source.count)
                }
                offset += part.count
            }
        }
        return result
    }
}
