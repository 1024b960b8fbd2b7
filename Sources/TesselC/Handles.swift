import Tessel

/// A tensor handed to C as an opaque `tessel_tensor *` (retained until
/// `tessel_tensor_take` or `tessel_tensor_release`).
protocol ExportedTensor: AnyObject {
    /// The dimensions, outermost first.
    var shape: [Int] { get }
    /// Copies the elements, row-major, to `destination`.
    func copyElements(to destination: UnsafeMutableRawPointer)
    /// The first element. Valid while the box lives: the box holds the tensor in a `let`, so
    /// its storage is never replaced (no copy-on-write can happen).
    var baseAddress: UnsafeMutableRawPointer? { get }
}

/// The box behind a `tessel_tensor *`.
final class TensorBox<T: TesselScalar>: ExportedTensor {
    let tensor: Tensor<T>

    init(_ tensor: Tensor<T>) { self.tensor = tensor }

    var shape: [Int] { tensor.shape }

    var baseAddress: UnsafeMutableRawPointer? {
        tensor.withUnsafeBufferPointer { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
    }

    func copyElements(to destination: UnsafeMutableRawPointer) {
        tensor.withUnsafeBufferPointer { elements in
            guard let start = elements.baseAddress, elements.count > 0 else { return }
            destination.copyMemory(from: start, byteCount: elements.count * MemoryLayout<T>.stride)
        }
    }
}

/// The box behind a `tessel_cache *`: what one forward call keeps for its backward.
final class CacheBox<T: TesselScalar> {
    let cache: ForwardCache<T>

    init(_ cache: ForwardCache<T>) { self.cache = cache }
}

/// Converting boxes to and from the opaque pointers C sees (`Unmanaged` retain counts).
enum Handle {
    /// A retained pointer to a new box around `tensor`, which then owns its storage: an output
    /// that is a borrowed input (dropout at test time returns x) is copied, so that the array
    /// handed back never aliases the caller's memory.
    /// - Throws: `TesselError.outOfMemory` when that copy cannot be allocated.
    static func retained<T: TesselScalar>(_ tensor: Tensor<T>) throws -> OpaquePointer {
        OpaquePointer(Unmanaged.passRetained(TensorBox(try tensor.owned()) as AnyObject).toOpaque())
    }

    /// A retained pointer to a new box around `cache`.
    static func retained<T: TesselScalar>(_ cache: ForwardCache<T>) -> OpaquePointer {
        OpaquePointer(Unmanaged.passRetained(CacheBox(cache) as AnyObject).toOpaque())
    }

    /// The object behind a pointer made by `retained`, still retained.
    static func object(_ pointer: OpaquePointer) -> AnyObject {
        Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }

    /// Drops the retain that `retained` made.
    static func release(_ pointer: OpaquePointer) {
        Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer(pointer)).release()
    }

    /// The cache behind `pointer`, for a backward call of `layer` in element type `T`.
    /// - Throws: `TesselError.invalidParameter` for a NULL cache, or one made by a forward
    ///   call in the other element type.
    static func cache<T: TesselScalar>(_ pointer: OpaquePointer?, layer: String, as _: T.Type) throws -> ForwardCache<T> {
        guard let pointer else { throw missingArgument("cache", layer: layer) }
        guard let box = object(pointer) as? CacheBox<T> else {
            throw TesselError.invalidParameter(component: layer, parameter: "dout", value: T.dtype.rawValue,
                                               reason: "the cache comes from a forward call in the other dtype")
        }
        return box.cache
    }
}

/// Stores the outputs of one call in the caller's out-pointers, or releases them where an
/// out-pointer is NULL (nothing leaks either way). Called only once the whole call succeeded.
func store(_ handle: OpaquePointer?, in destination: UnsafeMutablePointer<OpaquePointer?>?) {
    if let destination {
        destination.pointee = handle
    } else if let handle {
        Handle.release(handle)
    }
}
