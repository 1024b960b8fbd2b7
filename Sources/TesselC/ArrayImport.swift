import CTessel
import Tessel

extension Optional where Wrapped == UnsafePointer<tessel_array> {
    /// The caller's array as a `Tensor<T>`: a row-major contiguous array aligned for `T` is
    /// borrowed without a copy (`Tensor(shape:borrowing:)`; the caller keeps it alive and
    /// unchanged while the call, and any cache the call returns, may read it); any other layout
    /// is copied once into Tessel's storage (`Tensor(shape:copyingFrom:byteStrides:)`).
    /// - Throws: `TesselError.invalidParameter` for a NULL array or data pointer, or a dtype
    ///   other than `T`'s; `TesselError.invalidShape` for a rank outside 0 ... TESSEL_MAX_RANK
    ///   or a negative dimension; `TesselError.outOfMemory` when the copy cannot be allocated.
    func tensor<T: ExportedScalar>(_ name: String, layer: String, as _: T.Type = T.self) throws -> Tensor<T> {
        guard let descriptor = self?.pointee else { throw missingArgument(name, layer: layer) }
        guard descriptor.dtype == T.code else {
            throw TesselError.invalidParameter(component: layer, parameter: name, value: dtypeName(descriptor.dtype),
                                               reason: "expected \(T.dtype.rawValue), the dtype of the call's other arrays")
        }
        let rank = Int(descriptor.rank)
        guard (0...Int(TESSEL_MAX_RANK)).contains(rank) else {
            throw TesselError.invalidParameter(component: layer, parameter: name, value: "rank \(rank)",
                                               reason: "the rank must be 0 ... \(TESSEL_MAX_RANK)")
        }
        let (shape, strides) = withUnsafeBytes(of: descriptor.shape) { shapes in
            withUnsafeBytes(of: descriptor.strides) { strides in
                (shapes.bindMemory(to: Int64.self).prefix(rank).map(Int.init),
                 strides.bindMemory(to: Int64.self).prefix(rank).map(Int.init))
            }
        }
        if shape.contains(where: { $0 < 0 }) {
            throw TesselError.invalidShape(shape: shape, reason: "argument '\(name)' of \(layer) has a negative dimension")
        }
        guard let data = descriptor.data else {
            if shape.contains(0) { return try Tensor(shape: shape) }
            throw TesselError.invalidParameter(component: layer, parameter: name, value: "NULL data", reason: "required")
        }
        var rowMajorStride = MemoryLayout<T>.stride, isContiguous = true
        for dimension in stride(from: rank - 1, through: 0, by: -1) {
            if shape[dimension] > 1 && strides[dimension] != rowMajorStride { isContiguous = false }
            rowMajorStride *= shape[dimension]
        }
        if isContiguous && Int(bitPattern: data) % MemoryLayout<T>.alignment == 0 {
            return try Tensor(shape: shape, borrowing: data)
        }
        return try Tensor(shape: shape, copyingFrom: data, byteStrides: strides)
    }
}
