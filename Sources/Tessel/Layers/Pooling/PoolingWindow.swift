/// The window of a pooling layer (`MaxPool`, `AveragePool`; CS231n's `pool_param`):
/// `poolHeight × poolWidth` moved by `stride` in both directions, without padding.
public struct PoolingWindow: Sendable, Equatable {
    /// Height of each pooling window (≥ 1, ≤ H).
    public var poolHeight: Int
    /// Width of each pooling window (≥ 1, ≤ W).
    public var poolWidth: Int
    /// Distance between adjacent windows, in both directions (≥ 1).
    public var stride: Int

    /// Window `poolHeight × poolWidth` moved by `stride` (checked when a layer runs, not here).
    public init(poolHeight: Int = 2, poolWidth: Int = 2, stride: Int = 2) {
        self.poolHeight = poolHeight
        self.poolWidth = poolWidth
        self.stride = stride
    }
}

/// The validated sizes of one pooling call: input (n, c, height, width), the window, and the
/// output (n, c, outHeight, outWidth), `1 + (H − poolHeight) / stride` rounded down, likewise W.
struct PoolingGeometry {
    let n, c, height, width, poolHeight, poolWidth, stride, outHeight, outWidth: Int

    /// Checks the input shape `x` and `window` for the layer called `layer` (the one
    /// validation a pooling layer's tiled and reference paths share).
    /// - Throws: `TesselError.shapeMismatch` when `x` is not rank 4; `TesselError.invalidParameter`
    ///   for a pool size or stride below 1, or a window larger than the input.
    init(x shape: [Int], window: PoolingWindow, layer: String) throws {
        guard shape.count == 4 else {
            throw TesselError.shapeMismatch(component: layer, argument: "x", expected: "rank 4 (N, C, H, W)", actual: shape)
        }
        (n, c, height, width) = (shape[0], shape[1], shape[2], shape[3])
        (poolHeight, poolWidth, stride) = (window.poolHeight, window.poolWidth, window.stride)
        for (parameter, value) in [("poolHeight", poolHeight), ("poolWidth", poolWidth), ("stride", stride)] where value < 1 {
            throw TesselError.invalidParameter(component: layer, parameter: parameter, value: "\(value)", reason: "must be at least 1")
        }
        let described = Shape.describe(shape)
        for (parameter, pool, extent, letter) in [("poolHeight", poolHeight, height, "H"), ("poolWidth", poolWidth, width, "W")] {
            guard pool <= extent else {
                throw TesselError.invalidParameter(component: layer, parameter: parameter, value: "\(pool)",
                                                   reason: "the window is larger than the input: \(letter) = \(extent) in x of shape \(described)")
            }
        }
        outHeight = 1 + (height - poolHeight) / stride
        outWidth = 1 + (width - poolWidth) / stride
    }

    /// Checks a backward's input shape `x` and `window` as `init(x:window:layer:)` does, then
    /// that its upstream gradient `dout` has the output's shape.
    /// - Throws: as `init(x:window:layer:)`, and `TesselError.shapeMismatch` (argument `dout`)
    ///   naming `layer` when `dout` is not (N, C, H', W').
    init<T>(x shape: [Int], dout: Tensor<T>, window: PoolingWindow, layer: String) throws {
        try self.init(x: shape, window: window, layer: layer)
        guard dout.shape == outputShape else {
            throw TesselError.shapeMismatch(component: layer, argument: "dout", expected: "(N, C, H', W') = \(Shape.describe(outputShape))",
                                            actual: dout.shape)
        }
    }

    /// (N, C, H', W').
    var outputShape: [Int] { [n, c, outHeight, outWidth] }

    /// The input rows of the windows in output row `i`.
    func windowRows(_ i: Int) -> Range<Int> { i * stride..<i * stride + poolHeight }

    /// The input columns of the windows in output column `j`.
    func windowColumns(_ j: Int) -> Range<Int> { j * stride..<j * stride + poolWidth }

    /// The output (N, C, H', W') whose element (n, c, i, j) is `element(n, c, i, j)`, computed in
    /// row-major order: the serial references' forward.
    func referenceOutput<T: TesselScalar>(_ element: (_ n: Int, _ c: Int, _ i: Int, _ j: Int) -> T) throws -> Tensor<T> {
        var out = try Tensor<T>(shape: outputShape)
        forEachOutput { n, c, i, j in out[n, c, i, j] = element(n, c, i, j) }
        return out
    }

    /// Calls `body(n, c, i, j)` for every output element, in row-major order: the loops of the
    /// serial references.
    func forEachOutput(_ body: (_ n: Int, _ c: Int, _ i: Int, _ j: Int) -> Void) {
        for n in 0..<self.n {
            for c in 0..<self.c {
                for i in 0..<outHeight {
                    for j in 0..<outWidth { body(n, c, i, j) }
                }
            }
        }
    }

    /// A pooling forward's output for `x`: `rows(input, output, rows, geometry)` fills the
    /// output rows `rows` of the plane at `output` from the plane at `input`, a plane of
    /// `geometry` (this one, or several planes stacked, `forEachPlaneRun`), the rows cut into
    /// tiles over (plane, output row). Each output row depends on its window rows alone, so any
    /// tiling gives the same bits.
    @inline(__always)
    func forward<T: TesselScalar>(_ x: Tensor<T>, scheduler: Scheduler,
                                  rows: (_ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>, _ rows: Range<Int>,
                                         _ geometry: PoolingGeometry) -> Void)
        throws -> Tensor<T> {
        var out = try Tensor<T>.uninitialized(shape: outputShape, allocator: scheduler.allocator)
        let tiling = tiling(elementsPerTile: scheduler.tiles.elementsPerTile, wholePlanes: false)
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { outs in
                let x = xs.baseAddress!, out = outs.baseAddress!
                scheduler.forEachTile(tiling, workPerTile: work(of: tiling)) { tile in
                    forEachPlaneRun(of: tile) { plane, geometry, outputRows in
                        rows(x + plane * height * width, out + plane * outHeight * outWidth, outputRows, geometry)
                    }
                }
            }
        }
        return out
    }

    /// Whether consecutive planes are one plane as many times as tall, window for window:
    /// windows that follow each other down the rows without overlap or gap (stride = pool
    /// height) and end at the plane's last row.
    var stacksPlanes: Bool { stride == poolHeight && height == outHeight * stride }

    /// `planes` consecutive planes as one plane (`stacksPlanes`): `planes` times the rows and
    /// output rows, the same windows in the same order.
    func stacked(planes: Int) -> PoolingGeometry {
        PoolingGeometry(n: 1, c: 1, height: planes * height, width: width, poolHeight: poolHeight, poolWidth: poolWidth,
                        stride: stride, outHeight: planes * outHeight, outWidth: outWidth)
    }

    /// `body(first plane, geometry, output rows)` for the (plane, output row) `tile`: once for
    /// all its planes as one plane (`stacked`) where the tile holds whole planes that stack,
    /// else once per plane with this geometry and the tile's rows. A row kernel then runs once
    /// over a tile of small planes: max pool's forward on x (64, 16, 8, 8) took 0.89 of the
    /// time of a call per plane.
    @inline(__always)
    func forEachPlaneRun(of tile: Tile, _ body: (_ plane: Int, _ geometry: PoolingGeometry, _ rows: Range<Int>) -> Void) {
        if stacksPlanes && tile.rows.count > 1 && tile.columns == 0..<outHeight {
            body(tile.rows.lowerBound, stacked(planes: tile.rows.count), 0..<tile.rows.count * outHeight)
            return
        }
        for plane in tile.rows { body(plane, self, tile.columns) }
    }

    private init(n: Int, c: Int, height: Int, width: Int, poolHeight: Int, poolWidth: Int, stride: Int, outHeight: Int,
                 outWidth: Int) {
        (self.n, self.c, self.height, self.width) = (n, c, height, width)
        (self.poolHeight, self.poolWidth, self.stride) = (poolHeight, poolWidth, stride)
        (self.outHeight, self.outWidth) = (outHeight, outWidth)
    }

    /// Tiles over (plane, output row): whole planes per tile when a plane is smaller than
    /// `elementsPerTile` input elements, else blocks of output rows (unless `wholePlanes`).
    func tiling(elementsPerTile: Int, wholePlanes: Bool) -> Tiling {
        let planeElements = max(1, height * width), rowElements = max(1, stride * width)
        if planeElements >= elementsPerTile && !wholePlanes {
            return Tiling(rows: n * c, columns: outHeight, tileRows: 1, tileColumns: max(1, elementsPerTile / rowElements))
        }
        return Tiling(rows: n * c, columns: outHeight, tileRows: max(1, elementsPerTile / planeElements), tileColumns: outHeight)
    }

    /// The work of a full tile (`Scheduler.grainSize` units): the input elements it reads and
    /// the candidates its windows compare (more than the reads where windows overlap).
    func work(of tiling: Tiling) -> Int {
        tiling.tileRows * tiling.tileColumns * (stride * width + outWidth * poolHeight * poolWidth)
    }
}
