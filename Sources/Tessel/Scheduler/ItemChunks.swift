/// The reduced dimension of a normalization layer cut into chunks of whole items — rows of
/// an (N, D) matrix, or samples of an (N, C, H, W) tensor — for deterministic partial results.
///
/// Order-fixing: the chunk length depends only on the shape (never on workers, `TileSettings`
/// or the machine's caches): about
/// `targetElements` elements per chunk, and at least `minimumCount` chunks when there are
/// that many items, so that a small batch still spreads over the workers. Partials are keyed
/// by chunk index and combined in chunk order (`ChunkPartials`).
struct ItemChunks: Sendable, Equatable {
    /// Elements a chunk should hold: large enough that a chunk's partials are small next to
    /// its data, small enough that a chunk stays in a core's L2 between two sweeps.
    static let targetElements = 1 << 16
    /// The fewest chunks a reduction is cut into when there are at least that many items.
    static let minimumCount = 16

    /// Number of items (rows or samples) in the reduced dimension.
    let items: Int
    /// Elements per item (D for a row, H·W for a sample's channel plane, …).
    let elementsPerItem: Int
    /// Items in every chunk but possibly the last.
    let itemsPerChunk: Int

    init(items: Int, elementsPerItem: Int) {
        self.items = items
        self.elementsPerItem = elementsPerItem
        let bySize = max(1, ItemChunks.targetElements / max(1, elementsPerItem))
        let byCount = max(1, (items + ItemChunks.minimumCount - 1) / ItemChunks.minimumCount)
        itemsPerChunk = min(bySize, byCount)
    }

    /// Number of chunks (0 for no items).
    var count: Int { (items + itemsPerChunk - 1) / itemsPerChunk }

    /// The chunk that holds `item`.
    func chunk(containing item: Int) -> Int { item / itemsPerChunk }

    /// The items of chunk `chunk`.
    func items(of chunk: Int) -> Range<Int> {
        let start = chunk * itemsPerChunk
        return start..<min(start + itemsPerChunk, items)
    }
}
