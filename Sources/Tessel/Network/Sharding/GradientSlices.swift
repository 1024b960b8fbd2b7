/// The flattened weight gradients of a data-parallel step (every parameter's elements, in
/// parameter order, as one vector of `elements`) cut into one slice per rank for the
/// reduce-scatter: rank `q` folds the elements `⌊q·elements/ranks⌋ ..< ⌊(q+1)·elements/ranks⌋`.
/// Which rank folds an element never changes how it is folded (shard order, in Double), so the
/// slicing may follow the rank count.
struct GradientSlices: Sendable, Equatable {
    /// Elements of the flattened gradients.
    let elements: Int
    /// Ranks, one slice each.
    let ranks: Int

    /// The elements rank `rank` folds.
    func range(of rank: Int) -> Range<Int> {
        (rank * elements / ranks)..<((rank + 1) * elements / ranks)
    }
}
