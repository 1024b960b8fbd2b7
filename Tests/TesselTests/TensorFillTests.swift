import Testing
@testable import Tessel

@Suite struct TensorFillTests {
    /// `Tensor(shape:repeating:)` writes every element, whatever the memory held before (a
    /// freed tensor of the same size is often handed back): +0 as zero bits, −0 with its sign,
    /// other values as they are.
    @Test func everyElementHoldsTheValue() throws {
        try check(Float.self)
        try check(Double.self)
    }

    func check<T: TesselScalar>(_: T.Type) throws {
        let shape = [37, 129]
        for value: T in [7, 0, -0.0, 2.5, 0, .infinity] {
            let tensor = try Tensor<T>(shape: shape, repeating: value)
            #expect(tensor.scalars.allSatisfy { $0 == value && $0.sign == value.sign }, "\(value)")
            let plain = try Tensor<T>(shape: shape)
            #expect(plain.scalars.allSatisfy { $0 == 0 && $0.sign == .plus })
        }
    }
}
