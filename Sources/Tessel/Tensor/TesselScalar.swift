import RealModule

/// The element types Tessel computes in: `Float` (float32) and `Double` (float64).
///
/// Kernels are generic over this protocol and specialized for both conforming types;
/// reductions accumulate in `Double` whatever the element type (see `Reduction`).
public protocol TesselScalar: BinaryFloatingPoint, Real, SIMDScalar, Sendable, Codable
where Self.RawSignificand: FixedWidthInteger {
    /// The `.npy` / NumPy name of this type.
    static var dtype: DType { get }
}

extension Float: TesselScalar {
    public static var dtype: DType { .float32 }
}

extension Double: TesselScalar {
    public static var dtype: DType { .float64 }
}

/// The element types that Tessel reads and writes in `.npy` files.
public enum DType: String, Sendable, CaseIterable, Codable {
    case float32, float64, int32, int64

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .float32, .int32: 4
        case .float64, .int64: 8
        }
    }
}
