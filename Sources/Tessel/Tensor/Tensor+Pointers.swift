// Several tensors' elements in one scope, for kernels that read and write many tensors at
// once: `withBaseAddresses(x, gamma, beta) { x, gamma, beta in … }` instead of one nested
// `withUnsafeBufferPointer` closure per tensor.

/// Calls `body` with the first element's address of each tensor of `tensors`, read-only;
/// the addresses are valid only inside `body`.
@inlinable
func withBaseAddresses<each S: TesselScalar, R>(_ tensors: repeat Tensor<each S>,
                                                body: (repeat UnsafePointer<each S>) throws -> R) rethrows -> R {
    try body(repeat UnsafePointer((each tensors).block.baseAddress.assumingMemoryBound(to: (each S).self)))
}

/// Calls `body` with the first element's address of each of `a`, `b` and `c`, writable; each
/// is first given storage of its own when it shares or borrows it
/// (`Tensor.withUnsafeMutableBufferPointer`).
@inlinable
func withMutableBaseAddresses<A: TesselScalar, B: TesselScalar, C: TesselScalar, R>(
    _ a: inout Tensor<A>, _ b: inout Tensor<B>, _ c: inout Tensor<C>,
    body: (UnsafeMutablePointer<A>, UnsafeMutablePointer<B>, UnsafeMutablePointer<C>) throws -> R
) rethrows -> R {
    try a.withUnsafeMutableBufferPointer { a in
        try b.withUnsafeMutableBufferPointer { b in
            try c.withUnsafeMutableBufferPointer { c in try body(a.baseAddress!, b.baseAddress!, c.baseAddress!) }
        }
    }
}

/// Calls `body` with the first element's address of `tensor`, read-only, or with nil when
/// there is no tensor; the address is valid only inside `body`.
@inlinable
func withOptionalBaseAddress<T: TesselScalar, R>(_ tensor: Tensor<T>?, body: (UnsafePointer<T>?) throws -> R) rethrows -> R {
    guard let tensor else { return try body(nil) }
    return try withBaseAddresses(tensor) { try body($0) }
}
