import Tessel

/// Amdahl's law fitted to measured speedups.
///
/// With a serial fraction `s` of the one-worker time, `p` workers give the speedup
/// `S(p) = 1 / (s + (1 − s) / p)`. `fit` finds the `s` in [0, 1] that minimises the squared
/// differences between that curve and the measured speedups (least squares in speedup, the
/// quantity measured). With a single `p > 1` the fit is exact: `s = (p / S − 1) / (p − 1)`,
/// the Karp–Flatt metric.
public struct AmdahlFit: Sendable, Equatable, Codable {
    /// The fitted serial fraction, in [0, 1]. 0 when the speedups are ideal or better.
    public let serialFraction: Double

    /// The fit of `s` from `(workers, speedup)` pairs; points with one worker carry no
    /// information (their speedup is 1 by definition) and are ignored. Nil when no point has
    /// more than one worker, or a speedup is not a positive finite number.
    public init?(speedups: [(workers: Int, speedup: Double)]) {
        let points = speedups.filter { $0.workers > 1 }
        guard !points.isEmpty, points.allSatisfy({ $0.speedup.isFinite && $0.speedup > 0 }) else { return nil }
        func squaredError(_ s: Double) -> Double {
            points.reduce(0) { sum, point in
                let residual = point.speedup - AmdahlFit.speedup(serialFraction: s, workers: Double(point.workers))
                return sum + residual * residual
            }
        }
        // A coarse scan finds the basin of the least squared error; golden-section search
        // then narrows it to machine precision.
        let steps = 1000
        var best = 0
        var bestError = squaredError(0)
        for step in 1...steps {
            let error = squaredError(Double(step) / Double(steps))
            if error < bestError { (best, bestError) = (step, error) }
        }
        var low = Double(max(best - 1, 0)) / Double(steps), high = Double(min(best + 1, steps)) / Double(steps)
        let ratio = (5.0.squareRoot() - 1) / 2
        var a = high - ratio * (high - low), b = low + ratio * (high - low)
        var errorA = squaredError(a), errorB = squaredError(b)
        // 0.618¹⁰⁰ shrinks the bracket (at most 0.002 wide) far below a Double's resolution.
        for _ in 0..<100 {
            if errorA <= errorB {
                (high, b, errorB) = (b, a, errorA)
                a = high - ratio * (high - low)
                errorA = squaredError(a)
            } else {
                (low, a, errorA) = (a, b, errorB)
                b = low + ratio * (high - low)
                errorB = squaredError(b)
            }
        }
        let candidates = [low, high, Double(best) / Double(steps)]
        serialFraction = candidates.min { squaredError($0) < squaredError($1) }!
    }

    /// A fit with a known serial fraction (clamped to [0, 1]).
    public init(serialFraction: Double) {
        self.serialFraction = min(max(serialFraction, 0), 1)
    }

    /// The speedup this fit predicts on `workers` workers.
    public func predictedSpeedup(workers: Int) -> Double {
        AmdahlFit.speedup(serialFraction: serialFraction, workers: Double(workers))
    }

    /// Amdahl's speedup `1 / (s + (1 − s) / p)`.
    public static func speedup(serialFraction s: Double, workers p: Double) -> Double {
        1 / (s + (1 - s) / p)
    }
}
