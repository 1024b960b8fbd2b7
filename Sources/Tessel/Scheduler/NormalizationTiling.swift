extension Tiling {
    /// An element-wise tiling of a (rows, columns) matrix into tiles of about
    /// `elementsPerTile` elements: blocks of whole rows when a row is shorter than that, else
    /// pieces of one row, a multiple of 16 columns long where possible so SIMD lanes stay full.
    /// The normalization layers use it for the passes that write their output.
    static func rowBlocks(rows: Int, columns: Int, elementsPerTile: Int) -> Tiling {
        let target = max(1, elementsPerTile)
        if columns >= target {
            return Tiling(rows: rows, columns: columns, tileRows: 1, tileColumns: Tiling.vectorMultiple(target))
        }
        return Tiling(rows: rows, columns: columns, tileRows: target / max(1, columns), tileColumns: columns)
    }

    /// `count` rounded down to a multiple of 16 (one `SIMD16`), when it is at least 16.
    static func vectorMultiple(_ count: Int) -> Int {
        count >= 16 ? count - count % 16 : max(1, count)
    }
}

extension Tiling {
    /// The tile at the mirrored position, `count − 1 − tile.index`. A reduction pass that
    /// walks its tiles in reverse, before an output pass that walks them forward, starts that
    /// output pass on the data it read last, which is still in the last-level cache. The order
    /// tiles run in never changes results: partials are keyed by the rows a tile covers.
    func mirrored(_ tile: Tile) -> Tile {
        self.tile(count - 1 - tile.index)
    }
}
