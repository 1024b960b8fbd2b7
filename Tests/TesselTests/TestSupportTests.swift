import Testing
@testable import Tessel
import TesselTestSupport

/// The comparison helpers of TestSupport.swift fail on results that are not numbers: a suite
/// that compares with them must be able to catch an update rule or a kernel that returns NaN.
@Suite struct TestSupportTests {
    static let expected = try! TestData.linspace(-0.4, 0.6, shape: [4, 5], as: Double.self)

    @Test func maxRelativeErrorIsInfiniteForAPlantedNaN() throws {
        var planted = Self.expected
        planted[flat: 7] = .nan
        #expect(maxRelativeError(planted, Self.expected) == .infinity)
        #expect(maxRelativeError(Self.expected, planted) == .infinity)
        // An update rule that returns all-NaN weights, as OptimizerTests compares them.
        let allNaN = try Tensor<Double>(shape: [4, 5], scalars: Array(repeating: .nan, count: 20))
        #expect(!(maxRelativeError(allNaN, Self.expected) < 1e-7))
    }

    @Test func maxRelativeErrorIsInfiniteForInfinities() throws {
        var planted = Self.expected
        planted[flat: 3] = .infinity
        #expect(maxRelativeError(planted, Self.expected) == .infinity)
        // The same infinity on both sides: ∞ − ∞ is NaN, not agreement.
        #expect(maxRelativeError(planted, planted) == .infinity)
        #expect(maxRelativeError(Self.expected, Self.expected) == 0)
    }

    @Test func normwiseRelativeErrorFailsForAPlantedNaN() throws {
        var planted = try Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let reference = planted
        planted[flat: 5] = .nan
        #expect(!(normwiseRelativeError(planted, reference) < 1e-12))
        #expect(normwiseRelativeError(reference, reference) == 0)
    }
}
