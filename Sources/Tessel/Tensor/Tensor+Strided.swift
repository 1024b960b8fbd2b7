#if canImport(Glibc)
import Glibc
#endif

extension Tensor {
    /// A tensor of `shape` holding a copy of a strided array in caller memory: element
    /// (i₀, i₁, …) is read from `base + i₀·byteStrides[0] + i₁·byteStrides[1] + …` bytes.
    /// Strides may be negative or zero (a broadcast view) and need not be multiples of the
    /// element size; a row-major contiguous source is copied with one `memcpy`, a source
    /// with a contiguous last dimension one row at a time. This is how a NumPy array enters
    /// Tessel (`TesselC`): one copy into 64-byte-aligned storage, whatever its layout.
    /// - Throws: `TesselError.invalidShape` for a negative dimension, an element count that
    ///   overflows, or a stride count that differs from the rank; `TesselError.outOfMemory`
    ///   when the allocation is refused.
    public init(shape: [Int], copyingFrom base: UnsafeRawPointer, byteStrides: [Int],
                allocator: Allocator = .standard) throws {
        guard byteStrides.count == shape.count else {
            throw TesselError.invalidShape(shape: shape, reason: "\(byteStrides.count) strides for rank \(shape.count)")
        }
        try self.init(shapeWithoutFill: shape, allocator: allocator)
        guard count > 0 else { return }
        let elementSize = MemoryLayout<Scalar>.size
        let destination = block.baseAddress
        var rowMajorStride = elementSize, isContiguous = true
        for dimension in stride(from: shape.count - 1, through: 0, by: -1) {
            if shape[dimension] > 1 && byteStrides[dimension] != rowMajorStride { isContiguous = false }
            rowMajorStride *= shape[dimension]
        }
        if isContiguous {
            memcpy(destination, base, count * elementSize)
            return
        }
        Tensor.copyStrided(from: base, shape: shape, byteStrides: byteStrides, to: destination, elementSize: elementSize)
    }

    /// Copies the strided source row by row (the last dimension is a row) into `destination`,
    /// row-major. Walks the outer dimensions with an odometer of indices.
    private static func copyStrided(from base: UnsafeRawPointer, shape: [Int], byteStrides: [Int],
                                    to destination: UnsafeMutableRawPointer, elementSize: Int) {
        let rank = shape.count
        let rowLength = rank == 0 ? 1 : shape[rank - 1], rowStride = rank == 0 ? 0 : byteStrides[rank - 1]
        let rowBytes = rowLength * elementSize
        let rows = rank == 0 ? 1 : shape.dropLast().reduce(1, *)
        var index = [Int](repeating: 0, count: max(0, rank - 1))
        var source = base, target = destination
        for _ in 0..<rows {
            if rowStride == elementSize {
                memcpy(target, source, rowBytes)
            } else {
                for column in 0..<rowLength {
                    memcpy(target + column * elementSize, source + column * rowStride, elementSize)
                }
            }
            target += rowBytes
            // Advance the odometer over the outer dimensions, last fastest.
            var dimension = rank - 2
            while dimension >= 0 {
                index[dimension] += 1
                source += byteStrides[dimension]
                if index[dimension] < shape[dimension] { break }
                source -= byteStrides[dimension] * shape[dimension]
                index[dimension] = 0
                dimension -= 1
            }
        }
    }
}
