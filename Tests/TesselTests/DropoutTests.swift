import Testing
@testable import Tessel
import TesselTestSupport

@Suite struct DropoutTests {
    static let oddShapes: [[Int]] = [[1], [7, 13], [3, 5, 7], [2, 17, 3, 11]]

    @Test(arguments: oddShapes)
    func maskIsTheSameForEveryTilingAndThreadCount(shape: [Int]) throws {
        let parameters = Dropout.Parameters(p: 0.3, seed: 12345)
        let x = try TestData.normal(shape, seed: 1, as: Float.self)
        let reference = try Dropout.Reference.forward(x: x, parameters: parameters)
        let referenceMask = try #require(reference.mask)
        // The default tiles too: `determinismSchedulers`' tiles of 7 and 61 elements never
        // reach the kernel's 64-element groups (`Philox.words(groupQuad:)`).
        let schedulers = [Scheduler.serial, try Scheduler(workers: 2, grainSize: 0)] + determinismSchedulers
        for scheduler in schedulers {
            let tiled = try Dropout.forward(x: x, parameters: parameters, scheduler: scheduler)
            #expect(try #require(tiled.mask).isBitwiseEqual(to: referenceMask))
            #expect(tiled.out.isBitwiseEqual(to: reference.out))
        }
    }

    /// Float32 and Float64 keep the same elements for a seed; kept values are exactly `T(1 / p)`.
    @Test func maskPatternIsTheSameForBothPrecisions() throws {
        let parameters = Dropout.Parameters(p: 0.7, seed: 99)
        let single = try #require(try Dropout.forward(x: try Tensor<Float>(shape: [37, 11], repeating: 1), parameters: parameters,
                                                      scheduler: determinismSchedulers[1]).mask)
        let double = try #require(try Dropout.forward(x: try Tensor<Double>(shape: [37, 11], repeating: 1), parameters: parameters,
                                                      scheduler: determinismSchedulers[1]).mask)
        for i in 0..<single.count {
            #expect(single[flat: i] == 0 || single[flat: i] == Float(1 / 0.7))
            #expect(double[flat: i] == 0 || double[flat: i] == 1 / 0.7)
            #expect((single[flat: i] == 0) == (double[flat: i] == 0))
        }
    }

    /// Over 2¹⁸ elements the kept fraction is within 4σ of p (σ = √(p(1−p)/n)); 2¹⁸ rather
    /// than 10⁶ because three 10⁶ cases take 6 s in a debug build.
    @Test(arguments: [0.5, 0.1, 0.9])
    func keepFractionIsCloseToP(p: Double) throws {
        let n = 1 << 18
        let x = try Tensor<Float>(shape: [n], repeating: 1)
        let mask = try #require(try Dropout.forward(x: x, parameters: .init(p: p, seed: 2024)).mask)
        let kept = mask.withUnsafeBufferPointer { $0.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
        let sigma = (p * (1 - p) / Double(n)).squareRoot()
        #expect(abs(Double(kept) / Double(n) - p) < 4 * sigma)
    }

    @Test func keepProbabilityOneKeepsEverything() throws {
        let x = try TestData.normal([5, 9], seed: 3, as: Double.self)
        for result in [try Dropout.forward(x: x, parameters: .init(p: 1, seed: 1)),
                       try Dropout.Reference.forward(x: x, parameters: .init(p: 1, seed: 1))] {
            #expect(result.out.isBitwiseEqual(to: x))
            #expect(try #require(result.mask) == (try Tensor<Double>(shape: [5, 9], repeating: 1)))
        }
    }

    @Test func gradientCheck() throws {
        let parameters = Dropout.Parameters(p: 0.6, seed: 77)
        let x = try TestData.normal([6, 7], seed: 4, as: Double.self)
        let dout = try TestData.normal([6, 7], seed: 5, as: Double.self)
        let numeric = try numericalGradient({ try Dropout.Reference.forward(x: $0, parameters: parameters).out }, at: x, dout: dout)
        let referenceMask = try Dropout.Reference.forward(x: x, parameters: parameters).mask
        let tiledMask = try Dropout.forward(x: x, parameters: parameters).mask
        #expect(maxRelativeError(try Dropout.Reference.backward(dout: dout, mask: referenceMask, parameters: parameters), numeric) < 1e-7)
        #expect(maxRelativeError(try Dropout.backward(dout: dout, mask: tiledMask, parameters: parameters), numeric) < 1e-7)
    }

    /// Backward applies the mask it is given (the forward one), not a regenerated one.
    @Test(arguments: oddShapes)
    func backwardUsesTheForwardMask(shape: [Int]) throws {
        let parameters = Dropout.Parameters(p: 0.4)
        let x = try TestData.normal(shape, seed: 6, as: Float.self)
        let dout = try TestData.normal(shape, seed: 7, as: Float.self)
        let mask = try #require(try Dropout.forward(x: x, parameters: parameters).mask)
        var expected = dout
        for i in 0..<dout.count { expected[flat: i] = dout[flat: i] * mask[flat: i] }
        #expect(try Dropout.Reference.backward(dout: dout, mask: mask, parameters: parameters).isBitwiseEqual(to: expected))
        for scheduler in determinismSchedulers {
            #expect(try Dropout.backward(dout: dout, mask: mask, parameters: parameters, scheduler: scheduler).isBitwiseEqual(to: expected))
        }
    }

    @Test func testModeIsTheIdentity() throws {
        let parameters = Dropout.Parameters(p: 0.5, mode: .test, seed: 1)
        let x = try TestData.normal([4, 5], seed: 8, as: Float.self)
        for result in [try Dropout.forward(x: x, parameters: parameters), try Dropout.Reference.forward(x: x, parameters: parameters)] {
            #expect(result.out.isBitwiseEqual(to: x))
            #expect(result.mask == nil)
        }
        #expect(try Dropout.backward(dout: x, mask: nil, parameters: parameters).isBitwiseEqual(to: x))
        #expect(try Dropout.Reference.backward(dout: x, mask: nil, parameters: parameters).isBitwiseEqual(to: x))
    }

    @Test func unseededCallsDrawDifferentMasks() throws {
        let x = try Tensor<Float>(shape: [1000], repeating: 1)
        let parameters = Dropout.Parameters(p: 0.5)
        #expect(try Dropout.forward(x: x, parameters: parameters).mask != Dropout.forward(x: x, parameters: parameters).mask)
        #expect(try Dropout.Reference.forward(x: x, parameters: parameters).mask
                != Dropout.Reference.forward(x: x, parameters: parameters).mask)
    }

    @Test(arguments: [0.0, -0.1, 1.5, Double.nan, Double.infinity])
    func rejectsKeepProbabilityOutsideUnitInterval(p: Double) throws {
        let x = try Tensor<Float>(shape: [3])
        let expected = TesselError.invalidParameter(component: "dropout", parameter: "p", value: "\(p)",
                                                    reason: "the keep probability must be in (0, 1]")
        for mode in Mode.allCases {
            let parameters = Dropout.Parameters(p: p, mode: mode, seed: 1)
            #expect(throws: expected) { try Dropout.forward(x: x, parameters: parameters) }
            #expect(throws: expected) { try Dropout.Reference.forward(x: x, parameters: parameters) }
            #expect(throws: expected) { try Dropout.backward(dout: x, mask: x, parameters: parameters) }
            #expect(throws: expected) { try Dropout.Reference.backward(dout: x, mask: x, parameters: parameters) }
        }
    }

    @Test func backwardRejectsAMissingOrMismatchedMask() throws {
        let dout = try Tensor<Float>(shape: [2, 3]), wrong = try Tensor<Float>(shape: [3, 2])
        let parameters = Dropout.Parameters(p: 0.5, seed: 1)
        let missing = TesselError.invalidParameter(component: "dropout", parameter: "mask", value: "nil",
                                                   reason: "train-mode backward needs the mask that forward returned")
        let mismatch = TesselError.shapeMismatch(component: "dropout", argument: "mask", expected: "the shape of dout (2, 3)", actual: [3, 2])
        #expect(throws: missing) { try Dropout.backward(dout: dout, mask: nil, parameters: parameters) }
        #expect(throws: missing) { try Dropout.Reference.backward(dout: dout, mask: nil, parameters: parameters) }
        #expect(throws: mismatch) { try Dropout.backward(dout: dout, mask: wrong, parameters: parameters) }
        #expect(throws: mismatch) { try Dropout.Reference.backward(dout: dout, mask: wrong, parameters: parameters) }
    }
}
