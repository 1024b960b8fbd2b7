#if canImport(Glibc)
import Glibc
#endif

/// An n-dimensional, contiguous, row-major array of `Float` or `Double`.
///
/// **Value semantics** (copy-on-write): `var b = a; b[…] = …` never changes `a`. This is
/// what Swift users expect of an array type, and it costs nothing on the hot path — a kernel
/// writes only into tensors it has just created and therefore owns uniquely, so the
/// uniqueness check before `withUnsafeMutableBufferPointer` never copies there.
///
/// Storage is one `MemoryBlock` from an `Allocator`, 64-byte aligned, or caller memory the
/// tensor borrows without a copy (`init(shape:borrowing:keepingAlive:)`), aligned for `Scalar`
/// only: kernels load vectors unaligned, so the results are the same bits either way. A
/// rank-0 tensor holds one scalar.
public struct Tensor<Scalar: TesselScalar>: Sendable {
    /// The dimensions, outermost first (NCHW for images).
    public private(set) var shape: [Int]
    /// The number of elements, the product of `shape`.
    public let count: Int
    @usableFromInline var block: MemoryBlock

    /// A tensor of `shape` with every element `value`.
    /// - Throws: `TesselError.invalidShape` for a negative dimension or an element count that
    ///   overflows; `TesselError.outOfMemory` when the allocation is refused.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init(shape: [Int], repeating value: Scalar = 0, allocator: Allocator = .standard) throws {
        try self.init(shapeWithoutFill: shape, allocator: allocator)
        if value == 0 && value.sign == .plus {
            // +0 is all zero bits: one memset rather than a store per element.
            memset(block.baseAddress, 0, count * MemoryLayout<Scalar>.stride)
        } else {
            withUnsafeMutableBufferPointer { $0.update(repeating: value) }
        }
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    /// - Throws: `TesselError.invalidShape` when `scalars.count` is not the element count of `shape`.
    public init(shape: [Int], scalars: some Collection<Scalar>, allocator: Allocator = .standard) throws {
        let count = try Shape.elementCount(shape)
        guard scalars.count == count else {
            throw TesselError.invalidShape(shape: shape, reason: "needs \(count) elements, got \(scalars.count)")
        }
        try self.init(shape: shape, allocator: allocator)
        withUnsafeMutableBufferPointer { buffer in
            _ = buffer.initialize(from: scalars)
        }
    }

    /// A tensor of `shape` over caller memory, without a copy: `base` holds the elements in
    /// row-major order and must stay valid and unchanged while the tensor or a copy of it
    /// lives (`owner`, when given, is retained that long). The tensor only reads it: a write
    /// through the tensor, or a copy of it, copies the elements into Tessel's storage first.
    /// - Throws: `TesselError.invalidShape` for a negative dimension, an element count that
    ///   overflows, or a `base` not aligned for `Scalar`.
    public init(shape: [Int], borrowing base: UnsafeRawPointer, keepingAlive owner: AnyObject? = nil) throws {
        let count = try Shape.elementCount(shape)
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Scalar>.stride)
        guard !overflow else { throw TesselError.invalidShape(shape: shape, reason: "byte count overflows Int") }
        guard Int(bitPattern: base) % MemoryLayout<Scalar>.alignment == 0 else {
            throw TesselError.invalidShape(shape: shape, reason: "borrowed memory at \(base) is not aligned for \(Scalar.dtype)")
        }
        self.shape = shape
        self.count = count
        self.block = MemoryBlock.borrowing(base, byteCount: bytes, owner: owner)
    }

    /// Whether the tensor reads caller memory it borrowed (`init(shape:borrowing:keepingAlive:)`).
    public var isBorrowed: Bool { block.isBorrowed }

    /// This tensor with storage of its own: itself, or a copy of borrowed memory.
    /// - Throws: `TesselError.outOfMemory` when the copy cannot be allocated.
    public func owned() throws -> Tensor {
        guard isBorrowed else { return self }
        var copy = try Tensor.uninitialized(shape: shape)
        copy.withUnsafeMutableBufferPointer { target in
            withUnsafeBufferPointer { source in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                to.update(from: from, count: count)
            }
        }
        return copy
    }

    /// A tensor of `shape` whose storage is allocated but not initialized to a value; for
    /// kernels that write every element. The memory is valid (zero-filled by the OS or stale).
    @inlinable
    static func uninitialized(shape: [Int], allocator: Allocator = .standard) throws -> Tensor {
        try Tensor(shapeWithoutFill: shape, allocator: allocator)
    }

    @usableFromInline
    init(shapeWithoutFill shape: [Int], allocator: Allocator) throws {
        let count = try Shape.elementCount(shape)
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Scalar>.stride)
        guard !overflow else { throw TesselError.invalidShape(shape: shape, reason: "byte count overflows Int") }
        self.shape = shape
        self.count = count
        self.block = try allocator.allocate(byteCount: bytes, rows: shape.first ?? 1)
        block.baseAddress.bindMemory(to: Scalar.self, capacity: count)
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The elements in row-major order.
    public var scalars: [Scalar] { withUnsafeBufferPointer { Array($0) } }

    /// The element at row-major position `index`. Traps when out of range (a programming error).
    public subscript(flat index: Int) -> Scalar {
        get {
            precondition(index >= 0 && index < count, "flat index \(index) out of range 0..<\(count)")
            return withUnsafeBufferPointer { $0[index] }
        }
        set {
            precondition(index >= 0 && index < count, "flat index \(index) out of range 0..<\(count)")
            withUnsafeMutableBufferPointer { $0[index] = newValue }
        }
    }

    /// The element at the multi-index `indices` (one per dimension). Traps when out of range.
    public subscript(_ indices: Int...) -> Scalar {
        get { self[flat: flatIndex(indices)] }
        set { self[flat: flatIndex(indices)] = newValue }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "expected \(shape.count) indices, got \(indices.count)")
        var flat = 0
        for (index, dimension) in zip(indices, shape) {
            precondition(index >= 0 && index < dimension, "index \(index) out of range 0..<\(dimension)")
            flat = flat * dimension + index
        }
        return flat
    }

    /// Calls `body` with the elements, read-only, in row-major order.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        let start = block.baseAddress.assumingMemoryBound(to: Scalar.self)
        return try body(UnsafeBufferPointer(start: start, count: count))
    }

    /// Calls `body` with the elements, writable; copies the storage first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&block) || block.isBorrowed { makeUnique() }
        let start = block.baseAddress.assumingMemoryBound(to: Scalar.self)
        return try body(UnsafeMutableBufferPointer(start: start, count: count))
    }

    @usableFromInline
    mutating func makeUnique() {
        // A copy of an existing tensor cannot overflow; only allocation can fail. The copy
        // comes from the original's allocator, so it keeps its placement; where that fails
        // (e.g. pinning refused), aligned memory still beats a trap. It may overdraw the
        // memory budget: a copy cannot throw, and only the system's refusal traps.
        let bytes = count * MemoryLayout<Scalar>.stride
        guard let copy = (try? block.allocator.allocate(byteCount: bytes, rows: block.rows, overdrawing: true))
                ?? (try? Allocator.standard.allocate(byteCount: bytes, rows: 1, overdrawing: true)) else {
            fatalError("out of memory while copying a shared tensor of shape \(Shape.describe(shape))")
        }
        copy.baseAddress.copyMemory(from: block.baseAddress, byteCount: bytes)
        block = copy
    }

    /// The same elements under another shape with the same element count.
    /// - Throws: `TesselError.invalidShape` when the element counts differ.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        let newCount = try Shape.elementCount(newShape)
        guard newCount == count else {
            throw TesselError.invalidShape(
                shape: newShape, reason: "cannot reshape \(Shape.describe(shape)) (\(count) elements) to \(newCount) elements")
        }
        var result = self
        result.shape = newShape
        return result
    }

    /// The tensor converted element-wise to another scalar type (rounding to nearest).
    /// - Throws: `TesselError.outOfMemory` when the new storage cannot be allocated.
    public func converted<Other: TesselScalar>(to _: Other.Type) throws -> Tensor<Other> {
        var result = try Tensor<Other>.uninitialized(shape: shape)
        withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { destination in
                for i in 0..<count { destination[i] = Other(source[i]) }
            }
        }
        return result
    }
}

extension Tensor: Equatable {
    /// Equal shapes and equal elements (IEEE equality: NaN ≠ NaN).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) } }
    }
}

extension Tensor {
    /// True when both tensors have the same shape and the same bits in every element
    /// (so NaNs compare equal to themselves, and +0 differs from −0).
    public func isBitwiseEqual(to other: Tensor) -> Bool {
        guard shape == other.shape else { return false }
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                memcmp(a.baseAddress!, b.baseAddress!, count * MemoryLayout<Scalar>.stride) == 0
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
