import Tessel

/// The machine's own ceilings, measured, against which a layer's rate is judged: the
/// single-precision FMA peak of a core and the copy bandwidth at a given working-set size.
public enum MachinePeak {
    /// The FMA vector the register-only loop uses: one full register of the target.
    #if TESSEL_AVX512
    typealias Lanes = SIMD16<Float>
    #else
    typealias Lanes = SIMD8<Float>
    #endif

    /// Single-precision GFLOP/s of one thread running only register-to-register fused
    /// multiply-adds (12 independent accumulator chains, enough to hide the FMA latency on
    /// every x86-64 core with two FMA units), `iterations` steps per run (the default takes
    /// about 20 ms), best of `repeats` runs.
    ///
    /// With `workers` above 1 the loop runs on that many threads at once and the result is the
    /// rate per thread (the mean), which is what a worker of a layer gets when the workers
    /// share cores (SMT siblings, an oversubscribed virtual machine).
    /// - Throws: `TesselError.invalidParameter` when `workers` is below 1.
    public static func fmaGigaflopsPerCore(workers: Int = 1, iterations: Int = 1 << 23, repeats: Int = 5) throws -> Double {
        let scheduler = try Scheduler(workers: workers, grainSize: 0)
        let flopsPerThread = Double(iterations) * 12 * Double(Lanes.scalarCount) * 2
        var best = 0.0
        for _ in 0..<repeats {
            let sinks = UnsafeMutablePointer<Float>.allocate(capacity: workers)
            defer { sinks.deallocate() }
            let seconds = Stopwatch.seconds {
                scheduler.forEachTile(Tiling(rows: workers, tileRows: 1), workPerTile: Int.max / workers) { tile in
                    sinks[tile.rows.lowerBound] = fmaChains(iterations: iterations, seed: Float(tile.index))
                }
            }
            best = max(best, flopsPerThread / seconds / 1e9)
        }
        return best
    }

    /// Copy bandwidth in GB/s (bytes read plus bytes written per second) for a working set of
    /// `workingSetBytes`, copied by `workers` threads (`CopyProbe`): the faster of the
    /// medians of `repeats` copies with ordinary and with streaming stores (taking turns),
    /// after one warm-up copy of each.
    /// - Throws: `TesselError.invalidParameter` when `workers` is below 1.
    public static func copyGigabytesPerSecond(workingSetBytes: Int, workers: Int, repeats: Int = 11) throws -> Double {
        let probe = try CopyProbe(workingSetBytes: workingSetBytes, workers: workers)
        _ = probe.secondsOfEachForm()
        return probe.gigabytesPerSecond((0..<repeats).map { _ in probe.secondsOfEachForm() })
    }

    /// `iterations` steps of 12 independent FMA chains; returns a value that depends on every
    /// chain, so the work cannot be dropped.
    @inline(never)
    static func fmaChains(iterations: Int, seed: Float) -> Float {
        let multiplier = Lanes(repeating: 0.999_999 + seed * 1e-9)
        let addend = Lanes(repeating: 1e-7)
        var a0 = Lanes(repeating: seed), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5
        var a6 = a0 + 6, a7 = a0 + 7, a8 = a0 + 8, a9 = a0 + 9, a10 = a0 + 10, a11 = a0 + 11
        for _ in 0..<iterations {
            a0 = a0.addingProduct(multiplier, addend); a1 = a1.addingProduct(multiplier, addend)
            a2 = a2.addingProduct(multiplier, addend); a3 = a3.addingProduct(multiplier, addend)
            a4 = a4.addingProduct(multiplier, addend); a5 = a5.addingProduct(multiplier, addend)
            a6 = a6.addingProduct(multiplier, addend); a7 = a7.addingProduct(multiplier, addend)
            a8 = a8.addingProduct(multiplier, addend); a9 = a9.addingProduct(multiplier, addend)
            a10 = a10.addingProduct(multiplier, addend); a11 = a11.addingProduct(multiplier, addend)
        }
        let sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11))
        return sum.sum()
    }
}
