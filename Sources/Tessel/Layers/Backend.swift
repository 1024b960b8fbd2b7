/// Which implementation of a layer to run: the tiled parallel kernels on a scheduler, or the
/// serial reference (`Layer.Reference`), the oracle the tests hold the kernels against.
///
/// The network (`Network.check`), `tessel op` and the benchmark passes all choose with it.
public enum Backend: Sendable {
    /// The tiled kernels, on this scheduler's workers.
    case tiled(Scheduler)
    /// The serial reference: plain loops on the calling thread.
    case reference
}
