import CTessel
import Tessel

/// The element types of the C interface, with their `TESSEL_FLOAT32` / `TESSEL_FLOAT64` codes.
protocol ExportedScalar: TesselScalar {
    /// The `tessel_array.dtype` code of this type.
    static var code: Int32 { get }
}

extension Float: ExportedScalar {
    static var code: Int32 { TESSEL_FLOAT32 }
}

extension Double: ExportedScalar {
    static var code: Int32 { TESSEL_FLOAT64 }
}

/// The element type of a call, read from its first array argument `name`.
/// - Throws: `TesselError.invalidParameter` for a missing array or an unknown dtype code.
func elementType(of array: UnsafePointer<tessel_array>?, name: String, layer: String) throws -> any ExportedScalar.Type {
    guard let array else { throw missingArgument(name, layer: layer) }
    switch array.pointee.dtype {
    case TESSEL_FLOAT32: return Float.self
    case TESSEL_FLOAT64: return Double.self
    case let code:
        throw TesselError.invalidParameter(component: layer, parameter: name, value: "dtype code \(code)",
                                           reason: "expected TESSEL_FLOAT32 (0) or TESSEL_FLOAT64 (1)")
    }
}

/// The error for a NULL pointer where an argument is required.
func missingArgument(_ name: String, layer: String) -> TesselError {
    .invalidParameter(component: layer, parameter: name, value: "NULL", reason: "required")
}

/// The name of a dtype code in messages.
func dtypeName(_ code: Int32) -> String {
    switch code {
    case TESSEL_FLOAT32: "float32"
    case TESSEL_FLOAT64: "float64"
    default: "dtype code \(code)"
    }
}
