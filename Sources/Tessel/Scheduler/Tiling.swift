/// How a two-dimensional iteration space `[0, rows) × [0, columns)` is cut into tiles.
///
/// The vocabulary follows Halide's schedules: a *split* of each dimension by a tile extent,
/// with a short last tile as the tail strategy. Tiles are numbered row-major over the tile
/// grid; a kernel is handed a `Tile` by index and never learns which thread runs it. The
/// grid depends only on the extents and tile sizes, never on the number of workers, which is
/// what makes results independent of the thread count.
///
/// Typical uses: batch × channel for the layers over NCHW tensors, rows × columns blocks of a
/// matrix product, and `Tiling.split(length, targetItemsPerTile: chunk)` for the chunks of a
/// reduction — the one spelling of a one-dimensional chunking.
public struct Tiling: Sendable, Equatable, CustomStringConvertible {
    /// Extent of the outer dimension.
    public let rows: Int
    /// Extent of the inner dimension.
    public let columns: Int
    /// Rows per tile (the last row of tiles may be shorter).
    public let tileRows: Int
    /// Columns per tile (the last column of tiles may be shorter).
    public let tileColumns: Int

    /// Splits `rows × columns` into tiles of `tileRows × tileColumns`.
    /// Tile sizes below 1 are treated as 1; an empty space has zero tiles.
    public init(rows: Int, columns: Int = 1, tileRows: Int, tileColumns: Int = 1) {
        precondition(rows >= 0 && columns >= 0, "Tiling extents must not be negative")
        self.rows = rows
        self.columns = columns
        self.tileRows = max(1, min(tileRows, max(rows, 1)))
        self.tileColumns = max(1, min(tileColumns, max(columns, 1)))
    }

    /// Number of tiles along the rows.
    public var rowTileCount: Int { (rows + tileRows - 1) / tileRows }
    /// Number of tiles along the columns.
    public var columnTileCount: Int { (columns + tileColumns - 1) / tileColumns }
    /// Total number of tiles.
    public var count: Int { rowTileCount * columnTileCount }

    /// The tile with row-major index `index` (0 ..< `count`).
    @inlinable
    public func tile(_ index: Int) -> Tile {
        let columnTiles = (columns + tileColumns - 1) / tileColumns
        let r = index / columnTiles, c = index % columnTiles
        let rowStart = r * tileRows, columnStart = c * tileColumns
        return Tile(index: index,
                    rows: rowStart..<min(rowStart + tileRows, rows),
                    columns: columnStart..<min(columnStart + tileColumns, columns))
    }

    /// A one-dimensional tiling of `count` items (`rows`) into tiles of `targetItemsPerTile`
    /// items (at least 1, at most `count`); the last tile may be shorter. Depends only on its
    /// arguments: the chunking of every deterministic reduction and element-wise pass.
    public static func split(_ count: Int, targetItemsPerTile: Int) -> Tiling {
        Tiling(rows: count, tileRows: max(1, targetItemsPerTile))
    }

    public var description: String {
        "Tiling(\(rows)×\(columns) in \(tileRows)×\(tileColumns) tiles, \(count) tiles)"
    }
}

/// One rectangle of a `Tiling`: the row and column ranges it covers, and its index.
public struct Tile: Sendable, Equatable {
    /// Row-major index of this tile in its tiling; partial results are keyed by it.
    public let index: Int
    /// The rows this tile covers.
    public let rows: Range<Int>
    /// The columns this tile covers.
    public let columns: Range<Int>

    @inlinable
    public init(index: Int, rows: Range<Int>, columns: Range<Int>) {
        self.index = index
        self.rows = rows
        self.columns = columns
    }
}
