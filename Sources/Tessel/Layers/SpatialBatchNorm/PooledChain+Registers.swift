// The pooled chain (`PooledChain`) in registers, for 2×2 windows at stride 2 on planes of
// whole rows of 32 values and an even height (the default convnet's 32 × 32): each pair of
// rows is normalized, rectified, pooled and, backward, scattered and masked in vectors, with
// no plane of the ReLU's output or of the layer's dout going through the worker's scratch.
//
// Each value is the same operation on the same operands as in the plane-by-plane path
// (`CenteredAffine.forwardReLU`, `MaxPool.windowMax16x2x2`, the rectified 2×2 scatter of
// `MaxPool.backwardRow2x2`, `CenteredAffine.backward`), and the gradient sums add the layer's
// dout to `SpanSums.gradientSums`' two accumulators in its order (16 values at a time in
// memory order, then `sum()`), so both paths give the same bits.
extension PooledChain {
    /// Whether the register path suits the pool: 2×2 windows at stride 2 that tile planes of
    /// an even height and a width that is a multiple of 32.
    static func runsInRegisters(_ g: PoolingGeometry) -> Bool {
        g.poolHeight == 2 && g.poolWidth == 2 && g.stride == 2 && g.width % 32 == 0 && g.width > 0
            && g.height % 2 == 0 && g.height == 2 * g.outHeight && g.width == 2 * g.outWidth
    }

    /// `runsInRegisters` of this chain's pool.
    var runsInRegisters: Bool { Self.runsInRegisters(geometry) }

    /// The ReLU's output of the 32 columns from `x` (a row of a plane) and of those a row
    /// below, with the plane's channel coefficients as vectors.
    /// `@_transparent`: the optimizer left it out of line under `@inline(__always)`, passing
    /// the four vectors through memory.
    @_transparent
    func reluRows(_ x: UnsafePointer<T>, width: Int, center m: SIMD16<T>, scale s: SIMD16<T>,
                  shift b: SIMD16<T>) -> (top: SIMD32<T>, bottom: SIMD32<T>) {
        (SIMD32(lowHalf: ElementWise.relu(b.addingProduct(x.load16(at: 0) - m, s)),
                highHalf: ElementWise.relu(b.addingProduct(x.load16(at: 16) - m, s))),
         SIMD32(lowHalf: ElementWise.relu(b.addingProduct(x.load16(at: width) - m, s)),
                highHalf: ElementWise.relu(b.addingProduct(x.load16(at: width + 16) - m, s))))
    }

    /// Vectors of the channel of plane `index`: center, scale and shift.
    @inline(__always)
    func coefficients(plane index: Int) -> (SIMD16<T>, SIMD16<T>, SIMD16<T>) {
        let c = index % channels
        return (SIMD16(repeating: center[c]), SIMD16(repeating: scale[c]), SIMD16(repeating: shift[c]))
    }

    /// Prefetches row pair `i` of the plane after the one at `input` and, with `pooled` (the
    /// pool's dout of the plane at `input`), that pair's row of the next plane's pool dout: a
    /// 32 × 32 Float plane is a page of its own, where the hardware prefetchers stop, so the
    /// next plane's first reads would wait on memory (a hint; the results are the same).
    @inline(__always)
    func prefetchNextPlane(_ input: UnsafePointer<T>, pooled: UnsafePointer<T>?, pair i: Int) {
        let g = geometry, next = input + plane + 2 * i * g.width
        var j = 0
        while j < 2 * g.width {
            next.prefetch16(at: j)
            j += 16
        }
        if let pooled {
            var k = 0
            while k < g.outWidth {
                pooled.prefetch16(at: g.outHeight * g.outWidth + i * g.outWidth + k)
                k += 16
            }
        }
    }

    /// The pool's output of plane `index`, written to `out` (its H' × W' values).
    @inline(__always)
    func poolPlane(_ index: Int, into out: UnsafeMutablePointer<T>) {
        let g = geometry, (m, s, b) = coefficients(plane: index), input = x + index * plane
        for i in 0..<g.outHeight {
            prefetchNextPlane(input, pooled: nil, pair: i)
            var j = 0
            while j < g.width {
                let (top, bottom) = reluRows(input + 2 * i * g.width + j, width: g.width, center: m, scale: s, shift: b)
                out.store(MaxPool.windowMax16x2x2(top: top, bottom: bottom).max, at: i * g.outWidth + j / 2)
                j += 32
            }
        }
    }

    /// The layer's dout of the 32 columns at `column` of row pair `i` of plane `index` (its
    /// top row and the row below), from the pool's dout `pooled` of that plane. `@_transparent`
    /// as `reluRows`.
    @_transparent
    func layerDoutRows(_ input: UnsafePointer<T>, _ pooled: UnsafePointer<T>, pair i: Int, column j: Int,
                       center m: SIMD16<T>, scale s: SIMD16<T>, shift b: SIMD16<T>) -> (top: SIMD32<T>, bottom: SIMD32<T>) {
        let g = geometry
        let (top, bottom) = reluRows(input + 2 * i * g.width + j, width: g.width, center: m, scale: s, shift: b)
        let (maximum, index) = MaxPool.windowMax16x2x2(top: top, bottom: bottom)
        let gradient = SIMD16<T>() + ElementWise.reluBackward(pooled.load16(at: i * g.outWidth + j / 2), output: maximum)
        return (MaxPool.interleave(MaxPool.windowGradient(gradient, index: index, 0), MaxPool.windowGradient(gradient, index: index, 1)),
                MaxPool.interleave(MaxPool.windowGradient(gradient, index: index, 2), MaxPool.windowGradient(gradient, index: index, 3)))
    }

    /// `SpanSums.gradientSums` of plane `index`'s layer dout (from `pooledDout`, the pool's
    /// dout of every plane) and x, about `mean`.
    @inline(__always)
    func gradientSums(plane index: Int, pooledDout: UnsafePointer<T>, mean: Double) -> (dout: Double, doutCentered: Double) {
        let g = geometry, (m, s, b) = coefficients(plane: index)
        let input = x + index * plane, pooled = pooledDout + index * g.outHeight * g.outWidth
        let center = SIMD16<Double>(repeating: mean)
        var sumDout = SIMD16<Double>(repeating: 0), sumProduct = SIMD16<Double>(repeating: 0)
        @inline(__always) func add(_ dout: SIMD16<T>, at offset: Int) {
            let gradient = dout.widened
            sumDout += gradient
            sumProduct.addProduct(gradient, input.load16(at: offset).widened - center)
        }
        for i in 0..<g.outHeight {
            prefetchNextPlane(input, pooled: pooled, pair: i)
            let row = 2 * i * g.width
            if g.width == 32 {
                let (top, bottom) = layerDoutRows(input, pooled, pair: i, column: 0, center: m, scale: s, shift: b)
                add(top.lowHalf, at: row)
                add(top.highHalf, at: row + 16)
                add(bottom.lowHalf, at: row + 32)
                add(bottom.highHalf, at: row + 48)
            } else {
                // The top row whole, then the bottom row (recomputed), in memory order.
                for half in 0..<2 {
                    let lower = half == 1
                    var j = 0
                    while j < g.width {
                        let (top, bottom) = layerDoutRows(input, pooled, pair: i, column: j, center: m, scale: s, shift: b)
                        let pair = lower ? bottom : top, offset = row + (lower ? g.width : 0) + j
                        add(pair.lowHalf, at: offset)
                        add(pair.highHalf, at: offset + 16)
                        j += 32
                    }
                }
            }
        }
        return (sumDout.sumInLaneOrder(), sumProduct.sumInLaneOrder())
    }

    /// `CenteredAffine.backward` of plane `index` (coefficients `a`, `b`, `c` about `mean`) with
    /// the layer's dout from `pooledDout`, into `dx` (the whole tensor), streaming as there.
    @inline(__always)
    func backwardPlane(_ index: Int, pooledDout: UnsafePointer<T>, mean: T, a: T, b: T, c: T,
                       dx: UnsafeMutablePointer<T>, streaming: Bool) {
        let g = geometry, (m, s, shift) = coefficients(plane: index)
        let input = x + index * plane, pooled = pooledDout + index * g.outHeight * g.outWidth, out = dx + index * plane
        let streams = streaming && out.isStreamAligned
        let center = SIMD16<T>(repeating: mean), va = SIMD16<T>(repeating: a), vb = SIMD16<T>(repeating: b), vc = SIMD16<T>(repeating: c)
        @inline(__always) func write(_ dout: SIMD16<T>, at offset: Int) {
            out.store(vc.addingProduct(input.load16(at: offset) - center, vb).addingProduct(dout, va), at: offset, streaming: streams)
        }
        for i in 0..<g.outHeight {
            prefetchNextPlane(input, pooled: pooled, pair: i)
            let row = 2 * i * g.width
            var j = 0
            while j < g.width {
                let (top, bottom) = layerDoutRows(input, pooled, pair: i, column: j, center: m, scale: s, shift: shift)
                write(top.lowHalf, at: row + j)
                write(top.highHalf, at: row + j + 16)
                write(bottom.lowHalf, at: row + g.width + j)
                write(bottom.highHalf, at: row + g.width + j + 16)
                j += 32
            }
        }
    }
}
