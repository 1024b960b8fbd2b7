/// The contents of a `.npy` file: a floating-point tensor, or integer values (class labels).
public enum NPYArray: Sendable, Equatable {
    /// `<f4` data.
    case float32(Tensor<Float>)
    /// `<f8` data.
    case float64(Tensor<Double>)
    /// `<i4` data: `values` in row-major order, `values.count` is the product of `shape`.
    case int32(shape: [Int], values: [Int32])
    /// `<i8` data: `values` in row-major order, `values.count` is the product of `shape`.
    case int64(shape: [Int], values: [Int64])

    /// The array's dimensions, outermost first (`[]` for a scalar).
    public var shape: [Int] {
        switch self {
        case let .float32(tensor): tensor.shape
        case let .float64(tensor): tensor.shape
        case let .int32(shape, _), let .int64(shape, _): shape
        }
    }

    /// The element type.
    public var dtype: DType {
        switch self {
        case .float32: .float32
        case .float64: .float64
        case .int32: .int32
        case .int64: .int64
        }
    }

    /// The data as a tensor of `T`, converting between float32 and float64 (rounding to nearest).
    /// - Parameter source: names the array in errors (`NPY.readTensor` passes the file path).
    /// - Throws: `TesselError.npy(path: source, …)` for integer data, which holds labels, not
    ///   tensors; `TesselError.outOfMemory` when the converted tensor cannot be allocated.
    public func tensor<T: TesselScalar>(as _: T.Type = T.self, source: String = "array") throws -> Tensor<T> {
        switch self {
        case let .float32(tensor): return try (tensor as? Tensor<T>) ?? tensor.converted(to: T.self)
        case let .float64(tensor): return try (tensor as? Tensor<T>) ?? tensor.converted(to: T.self)
        case .int32, .int64:
            throw TesselError.npy(path: source, reason: "holds \(dtype) data of shape \(Shape.describe(shape)), "
                + "expected float32 or float64 (integer arrays are read as labels)")
        }
    }

    /// The data as class labels: a rank-1 array of int32 or int64.
    /// - Parameter source: names the array in errors (`NPY.readLabels` passes the file path).
    /// - Throws: `TesselError.npy(path: source, …)` for floating-point data or a rank other than 1.
    public func labels(source: String = "array") throws -> [Int] {
        switch self {
        case let .int32(shape, values) where shape.count == 1: return values.map(Int.init)
        case let .int64(shape, values) where shape.count == 1: return values.map(Int.init)
        case .int32, .int64:
            throw TesselError.npy(path: source, reason: "labels must have rank 1, found shape \(Shape.describe(shape))")
        case .float32, .float64:
            throw TesselError.npy(path: source, reason: "labels must be int32 or int64, found \(dtype) data")
        }
    }
}
