import Testing
@testable import Tessel
import TesselBenchmarking

@Suite struct AmdahlFitTests {
    @Test(arguments: [0.0, 0.03, 0.25, 0.8, 1.0])
    func recoversTheSerialFractionOfExactSpeedups(s: Double) throws {
        let speedups = [1, 2, 4, 8, 16].map { (workers: $0, speedup: AmdahlFit.speedup(serialFraction: s, workers: Double($0))) }
        let fit = try #require(AmdahlFit(speedups: speedups))
        #expect(abs(fit.serialFraction - s) < 1e-9)
    }

    @Test func singlePointGivesTheKarpFlattMetric() throws {
        // S(2) = 1.6: s = (2 / 1.6 − 1) / (2 − 1) = 0.25.
        let fit = try #require(AmdahlFit(speedups: [(1, 1), (2, 1.6)]))
        #expect(abs(fit.serialFraction - 0.25) < 1e-9)
        #expect(abs(fit.predictedSpeedup(workers: 16) - 1 / (0.25 + 0.75 / 16)) < 1e-9)
        #expect(abs(fit.predictedSpeedup(workers: 64) - 1 / (0.25 + 0.75 / 64)) < 1e-9)
    }

    @Test func leastSquaresInSpeedupOfNoisyPoints() throws {
        // The minimiser of Σ (S_i − 1/(s + (1 − s)/p_i))², checked against a fine scan.
        let points: [(workers: Int, speedup: Double)] = [(2, 1.9), (4, 3.3), (8, 5.1)]
        let fit = try #require(AmdahlFit(speedups: points))
        func error(_ s: Double) -> Double {
            points.reduce(0) { $0 + ($1.speedup - AmdahlFit.speedup(serialFraction: s, workers: Double($1.workers))) * ($1.speedup - AmdahlFit.speedup(serialFraction: s, workers: Double($1.workers))) }
        }
        let scanned = (0...100_000).map { Double($0) / 100_000 }.min { error($0) < error($1) }!
        #expect(abs(fit.serialFraction - scanned) < 2e-5)
        #expect(error(fit.serialFraction) <= error(scanned))
        #expect(fit.serialFraction > 0.05 && fit.serialFraction < 0.1)
    }

    @Test func superlinearSpeedupsClampToZero() throws {
        let fit = try #require(AmdahlFit(speedups: [(1, 1), (2, 2.3), (4, 4.6)]))
        #expect(fit.serialFraction == 0)
        #expect(fit.predictedSpeedup(workers: 64) == 64)
    }

    @Test func slowdownsClampToOne() throws {
        let fit = try #require(AmdahlFit(speedups: [(2, 0.7)]))
        #expect(fit.serialFraction == 1)
        #expect(fit.predictedSpeedup(workers: 16) == 1)
    }

    @Test func noFitWithoutMoreThanOneWorkerOrWithBadSpeedups() {
        #expect(AmdahlFit(speedups: []) == nil)
        #expect(AmdahlFit(speedups: [(1, 1)]) == nil)
        #expect(AmdahlFit(speedups: [(2, .nan)]) == nil)
        #expect(AmdahlFit(speedups: [(2, 0)]) == nil)
        #expect(AmdahlFit(speedups: [(2, .infinity)]) == nil)
    }
}
