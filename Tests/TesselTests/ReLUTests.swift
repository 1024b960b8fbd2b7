import Testing
@testable import Tessel
import TesselTestSupport

@Suite struct ReLUTests {
    @Test func knownValues() throws {
        let x = try TestData.linspace(-0.5, 0.5, shape: [3, 4], as: Double.self)
        let expected: [Double] = [0, 0, 0, 0, 0, 0, 0.04545455, 0.13636364, 0.22727273, 0.31818182, 0.40909091, 0.5]
        for out in [try ReLU.forward(x), try ReLU.Reference.forward(x)] {
            #expect(maxRelativeError(out, try Tensor(shape: [3, 4], scalars: expected)) < 1e-7)
        }
    }

    @Test func gradientCheck() throws {
        // Values kept away from the kink at 0.
        var x = try TestData.uniform([10, 10], in: 0.1...1, seed: 3, as: Double.self)
        for i in stride(from: 0, to: x.count, by: 2) { x[flat: i] = -x[flat: i] }
        let dout = try TestData.normal([10, 10], seed: 4, as: Double.self)
        let numeric = try numericalGradient({ try ReLU.Reference.forward($0) }, at: x, dout: dout)
        #expect(maxRelativeError(try ReLU.Reference.backward(dout: dout, x: x), numeric) < 1e-7)
        #expect(maxRelativeError(try ReLU.backward(dout: dout, x: x), numeric) < 1e-7)
    }

    @Test(arguments: [[1], [7, 13], [1, 3, 5, 7], [2, 17, 3, 11]])
    func tiledMatchesReferenceBitwise(shape: [Int]) throws {
        let x = try TestData.normal(shape, seed: 5, as: Float.self)
        let dout = try TestData.normal(shape, seed: 6, as: Float.self)
        let forward = try ReLU.Reference.forward(x), backward = try ReLU.Reference.backward(dout: dout, x: x)
        for scheduler in determinismSchedulers {
            #expect(try ReLU.forward(x, scheduler: scheduler).isBitwiseEqual(to: forward))
            #expect(try ReLU.backward(dout: dout, x: x, scheduler: scheduler).isBitwiseEqual(to: backward))
        }
    }

    @Test func backwardRejectsMismatchedShapes() throws {
        let x = try Tensor<Float>(shape: [2, 3]), dout = try Tensor<Float>(shape: [3, 2])
        #expect(throws: TesselError.shapeMismatch(component: "relu", argument: "dout", expected: "the shape of x (2, 3)", actual: [3, 2])) {
            try ReLU.backward(dout: dout, x: x)
        }
    }
}
