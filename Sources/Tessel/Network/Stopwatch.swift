/// Wall-clock timing for the trainer, `tessel run` and the benchmarks, on the monotonic clock.
package enum Stopwatch {
    /// Seconds that `body` takes.
    package static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        return seconds(start.duration(to: clock.now))
    }

    /// `duration` in seconds.
    package static func seconds(_ duration: Duration) -> Double {
        let (whole, fraction) = duration.components
        return Double(whole) + Double(fraction) * 1e-18
    }

    /// The median of `samples` (the mean of the middle two for an even count); `samples`
    /// must not be empty.
    package static func median(_ samples: [Double]) -> Double {
        precondition(!samples.isEmpty, "the median of no samples")
        let sorted = samples.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
