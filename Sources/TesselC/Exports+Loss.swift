import CTessel
import Tessel

// CS231n's `svm_loss` and `softmax_loss`.

@_cdecl("tessel_svm_loss")
public func tesselSVMLoss(_ x: ArrayArgument, _ y: UnsafePointer<Int64>?, _ labelCount: Int64,
                          _ loss: UnsafeMutablePointer<Double>?, _ dx: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let x = try x.tensor("x", layer: SVMLoss.name, as: T.self)
            let result = try SVMLoss.compute(x: x, y: labels(y, count: labelCount, layer: SVMLoss.name), scheduler: ThreadSetting.scheduler)
            loss?.pointee = Double(result.loss)
            store(try Handle.retained(result.dx), in: dx)
        }
        try run(elementType(of: x, name: "x", layer: SVMLoss.name))
    }
}

@_cdecl("tessel_softmax_loss")
public func tesselSoftmaxLoss(_ x: ArrayArgument, _ y: UnsafePointer<Int64>?, _ labelCount: Int64,
                              _ loss: UnsafeMutablePointer<Double>?, _ dx: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let x = try x.tensor("x", layer: SoftmaxLoss.name, as: T.self)
            let result = try SoftmaxLoss.compute(x: x, y: labels(y, count: labelCount, layer: SoftmaxLoss.name),
                                                 scheduler: ThreadSetting.scheduler)
            loss?.pointee = Double(result.loss)
            store(try Handle.retained(result.dx), in: dx)
        }
        try run(elementType(of: x, name: "x", layer: SoftmaxLoss.name))
    }
}

/// The caller's `count` labels. The layers check them against x (count N, values in 0 ..< C).
/// - Throws: `TesselError.invalidParameter` for a negative count or NULL labels.
private func labels(_ y: UnsafePointer<Int64>?, count: Int64, layer: String) throws -> [Int] {
    guard count >= 0 else {
        throw TesselError.invalidParameter(component: layer, parameter: "y", value: "count \(count)", reason: "must not be negative")
    }
    if count == 0 { return [] }
    guard let y else { throw missingArgument("y", layer: layer) }
    return UnsafeBufferPointer(start: y, count: Int(count)).map { Int($0) }
}
