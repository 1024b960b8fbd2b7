extension GEMM {
    /// The B micro-panel of one micro-kernel call and where it lies: packed (`NR` contiguous
    /// values per depth step, `GEMM+Packing.swift`), or read in place from a padded image
    /// (`InPlaceMicroPanel`), which saves the convolution's im2col copy. Both hold the same
    /// values, so the products are the same bits.
    enum MicroPanel<T: TesselScalar> {
        case packed(UnsafePointer<T>)
        case inPlace(InPlaceMicroPanel<T>)
    }

    /// Reads a B micro-panel one depth step at a time for the micro-kernel.
    protocol MicroPanelReader {
        associatedtype Scalar: TesselScalar
        /// Vector `index` (`0 ..< vectorsPerRow`) of the current depth step.
        func load<V: SIMD>(_ index: Int, _: V.Type) -> V where V.Scalar == Scalar
        /// Moves to the next depth step.
        mutating func advance()
    }

    /// A packed micro-panel: the `NR` values of depth step `k` at `pointer + k · NR`.
    struct PackedMicroPanel<Scalar: TesselScalar>: MicroPanelReader {
        var pointer: UnsafePointer<Scalar>

        @inline(__always)
        func load<V: SIMD>(_ index: Int, _: V.Type) -> V where V.Scalar == Scalar {
            pointer.load(V.self, at: index * V.scalarCount)
        }

        @inline(__always)
        mutating func advance() { pointer += GEMM.microColumns(Scalar.self) }
    }

    /// A micro-panel read where it lies: vector `v` of depth step `k` is the `V.scalarCount`
    /// contiguous values at `base + stepOffsets[k] + vectorOffsets[v]` (element offsets). For a
    /// stride-1 convolution, `base` is the padded image, `stepOffsets[k]` the offset of filter
    /// position `k` (`Im2col.Position`) and `vectorOffsets[v]` that of the output pixel that
    /// starts vector `v`, whose pixels lie in one output row.
    struct InPlaceMicroPanel<Scalar: TesselScalar>: MicroPanelReader {
        let base: UnsafePointer<Scalar>
        var stepOffsets: UnsafePointer<Int>
        let vectorOffsets: (Int, Int, Int, Int)

        @inline(__always)
        func load<V: SIMD>(_ index: Int, _: V.Type) -> V where V.Scalar == Scalar {
            let step = base + stepOffsets.pointee
            switch index {
            case 0: return step.load(V.self, at: vectorOffsets.0)
            case 1: return step.load(V.self, at: vectorOffsets.1)
            case 2: return step.load(V.self, at: vectorOffsets.2)
            default: return step.load(V.self, at: vectorOffsets.3)
            }
        }

        @inline(__always)
        mutating func advance() { stepOffsets += 1 }
    }

    /// Runs the micro-kernel on `panel` (see `microKernel`).
    @inline(__always)
    static func microKernel<T: TesselScalar>(depth: Int, a: UnsafePointer<T>, panel: MicroPanel<T>,
                                             c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool) {
        switch panel {
        case .packed(let b):
            microKernel(depth: depth, a: a, b: PackedMicroPanel(pointer: b), c: c, ldc: ldc, accumulate: accumulate)
        case .inPlace(let b):
            microKernel(depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        }
    }
}
