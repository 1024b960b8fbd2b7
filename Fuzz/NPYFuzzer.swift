// libFuzzer target for the `.npy` decoder (`NPY.decode`); built by `scripts/fuzz.sh npy`.
//
// The contract under test: whatever the bytes, `NPY.decode` returns an array or throws a
// `TesselError`, never traps, hangs or touches memory it does not own (AddressSanitizer).
// A decoded float array must also survive `NPY.encode` and a second decode bit for bit, and
// the conversions `tensor(as:)` and `labels()` must return or throw like the decoder.
import Tessel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = start.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
    let array: NPYArray
    do {
        array = try NPY.decode(bytes, source: "input")
    } catch is TesselError {
        return 0
    } catch {
        fatalError("NPY.decode threw an error that is not a TesselError: \(error)")
    }
    checkConversions(array)
    switch array {
    case let .float32(tensor): checkRoundTrip(tensor) { if case let .float32(back) = $0 { back } else { nil } }
    case let .float64(tensor): checkRoundTrip(tensor) { if case let .float64(back) = $0 { back } else { nil } }
    case .int32, .int64: break
    }
    return 0
}

/// `tensor(as:)` and `labels()` return or throw a `TesselError`.
private func checkConversions(_ array: NPYArray) {
    for conversion in [{ _ = try array.tensor(as: Float.self) }, { _ = try array.tensor(as: Double.self) },
                       { _ = try array.labels() }] {
        do {
            try conversion()
        } catch is TesselError {
        } catch {
            fatalError("an NPYArray conversion threw an error that is not a TesselError: \(error)")
        }
    }
}

/// `NPY.encode` then `NPY.decode` gives back `tensor`'s shape and bits.
private func checkRoundTrip<T: TesselScalar>(_ tensor: Tensor<T>, _ unwrap: (NPYArray) -> Tensor<T>?) {
    guard let decoded = try? NPY.decode(NPY.encode(tensor), source: "round trip"), let back = unwrap(decoded) else {
        fatalError("a decoded \(T.self) tensor of shape \(tensor.shape) does not decode again after NPY.encode")
    }
    guard back.isBitwiseEqual(to: tensor) else {
        fatalError("NPY.encode then NPY.decode changed a \(T.self) tensor of shape \(tensor.shape)")
    }
}
