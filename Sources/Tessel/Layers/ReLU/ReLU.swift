/// Rectified linear unit, element-wise over a tensor of any shape (seed: `relu_forward`,
/// `relu_backward`).
///
/// - forward: `out = max(0, x)`, as NumPy's `np.maximum(0, x)`: NaN stays NaN, +∞ stays +∞,
///   −∞ and −0 give +0.
/// - backward: `dx = dout` where `x > 0`, else 0 (the gradient at exactly 0 is 0; NaN in x gives 0).
///
/// `forward`/`backward` run the tiled parallel kernel; `ReLU.Reference` is the serial oracle.
///
/// The layer does not scan its inputs for NaN or ±∞: they propagate as above (NaN in, NaN out).
public enum ReLU {
    /// The layer's name in errors and on the command line.
    public static let name = "relu"

    /// Tiled forward. `x`: any shape. Returns a tensor of the shape of `x`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TesselScalar>(_ x: Tensor<T>, scheduler: Scheduler = .default) throws -> Tensor<T> {
        var out = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
        let tiling = Tiling.split(x.count, targetItemsPerTile: scheduler.tiles.elementsPerTile)
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { outs in
                let x = xs.baseAddress!, out = outs.baseAddress!
                scheduler.forEachTile(tiling, workPerTile: tiling.tileRows) { tile in
                    ElementWise.relu(x + tile.rows.lowerBound, out + tile.rows.lowerBound, count: tile.rows.count)
                }
            }
        }
        return out
    }

    /// Tiled backward. `dout` and `x` have the same shape; returns `dx` of that shape.
    /// - Throws: `TesselError.shapeMismatch` when the shapes differ.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TesselScalar>(dout: Tensor<T>, x: Tensor<T>, scheduler: Scheduler = .default) throws -> Tensor<T> {
        try validateBackward(dout: dout, x: x)
        var dx = try Tensor<T>.uninitialized(shape: x.shape, allocator: scheduler.allocator)
        let tiling = Tiling.split(x.count, targetItemsPerTile: scheduler.tiles.elementsPerTile)
        x.withUnsafeBufferPointer { xs in
            dout.withUnsafeBufferPointer { douts in
                dx.withUnsafeMutableBufferPointer { dxs in
                    let x = xs.baseAddress!, dout = douts.baseAddress!, dx = dxs.baseAddress!
                    scheduler.forEachTile(tiling, workPerTile: tiling.tileRows) { tile in
                        let start = tile.rows.lowerBound
                        ElementWise.reluBackward(dout + start, x + start, dx + start, count: tile.rows.count)
                    }
                }
            }
        }
        return dx
    }

    static func validateBackward<T>(dout: Tensor<T>, x: Tensor<T>) throws {
        guard dout.shape == x.shape else {
            throw TesselError.shapeMismatch(component: name, argument: "dout", expected: "the shape of x \(Shape.describe(x.shape))", actual: dout.shape)
        }
    }
}
