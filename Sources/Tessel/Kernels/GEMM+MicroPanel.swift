extension GEMM {
    /// The B micro-panel of one micro-kernel call and where it lies: packed (`NR` contiguous
    /// values per depth step, `GEMM+Packing.swift`), or read in place from a padded image
    /// (`InPlaceBPanel`), which saves the convolution's im2col copy. Both hold the same
    /// values, so the products are the same bits.
    enum MicroPanel<T: TesselScalar> {
        case packed(UnsafePointer<T>)
        case inPlace(InPlaceBPanel<T>)
    }

    /// Reads the A micro-panel of a micro-kernel one depth step at a time: `MR` values per step.
    protocol APanelReader {
        associatedtype Scalar: TesselScalar
        /// The value of row `row` (`0 ..< microRows`) at the current depth step.
        func value(_ row: Int) -> Scalar
        /// Moves to the next depth step.
        mutating func advance()
    }

    /// Reads the B micro-panel of a micro-kernel one depth step at a time: `NR` values per step.
    protocol BPanelReader {
        associatedtype Scalar: TesselScalar
        /// Vector `index` (`0 ..< vectorsPerRow`) of the current depth step.
        func load<V: SIMD>(_ index: Int, _: V.Type) -> V where V.Scalar == Scalar
        /// Moves to the next depth step.
        mutating func advance()
    }

    /// A packed A micro-panel: the `MR` values of depth step `k` at `pointer + k · MR`.
    struct PackedAPanel<Scalar: TesselScalar>: APanelReader {
        var pointer: UnsafePointer<Scalar>

        @inline(__always)
        func value(_ row: Int) -> Scalar { pointer[row] }

        @inline(__always)
        mutating func advance() { pointer += GEMM.microRows }
    }

    /// An A micro-panel read where it lies: row `r` of depth step `k` is
    /// `base[stepOffsets[k] + rowOffsets[r]]` (element offsets). For the weight gradient of a
    /// convolution, `base` is the padded image, `stepOffsets[k]` the offset of output pixel `k`'s
    /// window and `rowOffsets[r]` that of filter position `r` within the window.
    struct InPlaceAPanel<Scalar: TesselScalar>: APanelReader {
        let base: UnsafePointer<Scalar>
        var stepOffsets: UnsafePointer<Int>
        /// Eight rows' offsets; a 6-row kernel reads the first six.
        let rowOffsets: (Int, Int, Int, Int, Int, Int, Int, Int)

        @inline(__always)
        func value(_ row: Int) -> Scalar {
            let step = base + stepOffsets.pointee
            switch row {
            case 0: return step[rowOffsets.0]
            case 1: return step[rowOffsets.1]
            case 2: return step[rowOffsets.2]
            case 3: return step[rowOffsets.3]
            case 4: return step[rowOffsets.4]
            case 5: return step[rowOffsets.5]
            case 6: return step[rowOffsets.6]
            default: return step[rowOffsets.7]
            }
        }

        @inline(__always)
        mutating func advance() { stepOffsets += 1 }
    }

    /// A packed B micro-panel `NR / divisor` wide: the `NR / divisor` values of depth step `k`
    /// at `pointer + k · NR / divisor`. `divisor` 1: the panels `multiply` and the convolutions
    /// pack; 4: quarter panels (`GEMM.takesQuarterPanels`).
    struct PackedBPanel<Scalar: TesselScalar, let divisor: Int>: BPanelReader {
        var pointer: UnsafePointer<Scalar>

        @inline(__always)
        func load<V: SIMD>(_ index: Int, _: V.Type) -> V where V.Scalar == Scalar {
            pointer.load(V.self, at: index * V.scalarCount)
        }

        @inline(__always)
        mutating func advance() { pointer += GEMM.microColumns(Scalar.self) / divisor }
    }

    /// A B micro-panel read where it lies: vector `v` of depth step `k` is the `V.scalarCount`
    /// contiguous values at `base + stepOffsets[k] + vectorOffsets[v]` (element offsets). For a
    /// stride-1 convolution, `base` is the padded image, `stepOffsets[k]` the offset of filter
    /// position `k` (`Im2col.Position`) and `vectorOffsets[v]` that of the output pixel that
    /// starts vector `v`, whose pixels lie in one output row.
    struct InPlaceBPanel<Scalar: TesselScalar>: BPanelReader {
        let base: UnsafePointer<Scalar>
        var stepOffsets: UnsafePointer<Int>
        let vectorOffsets: (Int, Int)

        @inline(__always)
        func load<V: SIMD>(_ index: Int, _: V.Type) -> V where V.Scalar == Scalar {
            let step = base + stepOffsets.pointee
            return step.load(V.self, at: index == 0 ? vectorOffsets.0 : vectorOffsets.1)
        }

        @inline(__always)
        mutating func advance() { stepOffsets += 1 }
    }

    /// Runs the micro-kernel on the packed A micro-panel `a` and `panel` (see `microKernel`,
    /// also for `half` and `prefetch`).
    @inline(__always)
    static func microKernel<T: TesselScalar>(depth: Int, a: UnsafePointer<T>, panel: MicroPanel<T>,
                                             c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool, half: Bool = false,
                                             prefetch: PrefetchLines = .none) {
        switch panel {
        case .packed(let b):
            microKernel(depth: depth, a: PackedAPanel(pointer: a), b: PackedBPanel<T, 1>(pointer: b), c: c, ldc: ldc, accumulate: accumulate,
                        half: half, prefetch: prefetch)
        case .inPlace(let b):
            microKernel(depth: depth, a: PackedAPanel(pointer: a), b: b, c: c, ldc: ldc, accumulate: accumulate, half: half,
                        prefetch: prefetch)
        }
    }
}
