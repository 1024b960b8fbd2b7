import CCacheHints

/// Unaligned vector loads and stores at an element offset of a typed pointer, so that a
/// kernel reads `x.load16(at: j)` and writes `y.store(v, at: j)` instead of spelling the raw
/// pointer round trip at every use. Unaligned: tensors are 64-byte aligned, but an offset
/// into a row generally is not. Each compiles to the one unaligned vector move it names.
extension UnsafePointer {
    /// The `V.scalarCount` elements from `self[offset]` on, as one vector.
    @inlinable @inline(__always)
    func load<V: SIMD>(_: V.Type, at offset: Int = 0) -> V where V.Scalar == Pointee {
        UnsafeRawPointer(self + offset).loadUnaligned(as: V.self)
    }
}

extension UnsafePointer where Pointee: SIMDScalar {
    /// The 16 elements `self[offset ..< offset + 16]`.
    @inlinable @inline(__always)
    func load16(at offset: Int = 0) -> SIMD16<Pointee> {
        load(SIMD16<Pointee>.self, at: offset)
    }
}

extension UnsafeMutablePointer {
    /// The `V.scalarCount` elements from `self[offset]` on, as one vector.
    @inlinable @inline(__always)
    func load<V: SIMD>(_: V.Type, at offset: Int = 0) -> V where V.Scalar == Pointee {
        UnsafeRawPointer(self + offset).loadUnaligned(as: V.self)
    }

    /// Writes the lanes of `vector` to `self[offset ..< offset + V.scalarCount]`.
    @inlinable @inline(__always)
    func store<V: SIMD>(_ vector: V, at offset: Int = 0) where V.Scalar == Pointee {
        UnsafeMutableRawPointer(self + offset).storeBytes(of: vector, as: V.self)
    }
}

extension UnsafePointer where Pointee: TesselScalar {
    /// Prefetches `self[offset ..< offset + 16]` for reading: its line (Float) or two lines
    /// (Double) when the 16 elements start on a line, as a row's blocks of 16 do in a
    /// 64-byte aligned tensor whose rows are whole lines. A hint: results never depend on it.
    @inlinable @inline(__always)
    func prefetch16(at offset: Int = 0) {
        tessel_prefetch(self + offset)
        if MemoryLayout<Pointee>.stride > 4 { tessel_prefetch(self + offset + 8) }
    }
}

extension UnsafeMutablePointer where Pointee: TesselScalar {
    /// `prefetch16(at:)` for writing: the lines come in exclusive, ready for stores.
    @inlinable @inline(__always)
    func prefetchForWrite16(at offset: Int = 0) {
        tessel_prefetch_for_write(self + offset)
        if MemoryLayout<Pointee>.stride > 4 { tessel_prefetch_for_write(self + offset + 8) }
    }
}

extension UnsafeMutablePointer where Pointee: SIMDScalar {
    /// The 16 elements `self[offset ..< offset + 16]`.
    @inlinable @inline(__always)
    func load16(at offset: Int = 0) -> SIMD16<Pointee> {
        load(SIMD16<Pointee>.self, at: offset)
    }
}

extension UnsafeMutablePointer where Pointee: TesselScalar {
    /// Writes `vector` to `self[offset ..< offset + 16]`: with non-temporal stores
    /// (`tessel_stream_*`, which write past the caches) when `streaming`, else as `store`.
    /// Streaming needs `self + offset` 64-byte aligned, and a `tessel_store_fence()` after
    /// the last streaming store of a tile, before other threads read what it wrote.
    @inlinable @inline(__always)
    func store(_ vector: SIMD16<Pointee>, at offset: Int, streaming: Bool) {
        guard streaming else { return store(vector, at: offset) }
        if Pointee.self == Float.self {
            tessel_stream_float16(self + offset, unsafeBitCast(vector, to: SIMD16<Float>.self))
        } else {
            tessel_stream_double16(self + offset, unsafeBitCast(vector, to: SIMD16<Double>.self))
        }
    }

    /// Whether `self` is aligned for streaming stores of 16 elements at offsets that are
    /// multiples of 16 (64 bytes).
    @inlinable
    var isStreamAligned: Bool { Int(bitPattern: self) % 64 == 0 }
}
