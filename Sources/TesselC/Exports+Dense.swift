import CTessel
import Tessel

// Affine, ReLU and dropout (CS231n's `affine_*`, `relu_*`, `dropout_*`).

@_cdecl("tessel_affine_forward")
public func tesselAffineForward(_ x: ArrayArgument, _ w: ArrayArgument, _ b: ArrayArgument,
                                _ out: HandleOut, _ cache: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let x = try x.tensor("x", layer: Affine.name, as: T.self)
            let w = try w.tensor("w", layer: Affine.name, as: T.self), b = try b.tensor("b", layer: Affine.name, as: T.self)
            let result = try Affine.forward(x: x, w: w, b: b, scheduler: ThreadSetting.scheduler)
            store(try Handle.retained(result), in: out)
            store(Handle.retained(ForwardCache.affine(x: x, w: w, b: b)), in: cache)
        }
        try run(elementType(of: x, name: "x", layer: Affine.name))
    }
}

@_cdecl("tessel_affine_backward")
public func tesselAffineBackward(_ dout: ArrayArgument, _ cache: OpaquePointer?,
                                 _ dx: HandleOut, _ dw: HandleOut, _ db: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let saved = try Handle.cache(cache, layer: Affine.name, as: T.self)
            guard case let .affine(x, w, b) = saved else { throw saved.mismatch(expected: Affine.name) }
            let dout = try dout.tensor("dout", layer: Affine.name, as: T.self)
            let g = try Affine.backward(dout: dout, x: x, w: w, b: b, scheduler: ThreadSetting.scheduler)
            store(try Handle.retained(g.dx), in: dx)
            store(try Handle.retained(g.dw), in: dw)
            store(try Handle.retained(g.db), in: db)
        }
        try run(elementType(of: dout, name: "dout", layer: Affine.name))
    }
}

@_cdecl("tessel_relu_forward")
public func tesselReLUForward(_ x: ArrayArgument, _ out: HandleOut, _ cache: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let x = try x.tensor("x", layer: ReLU.name, as: T.self)
            let result = try ReLU.forward(x, scheduler: ThreadSetting.scheduler)
            store(try Handle.retained(result), in: out)
            store(Handle.retained(ForwardCache.relu(x: x)), in: cache)
        }
        try run(elementType(of: x, name: "x", layer: ReLU.name))
    }
}

@_cdecl("tessel_relu_backward")
public func tesselReLUBackward(_ dout: ArrayArgument, _ cache: OpaquePointer?, _ dx: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let saved = try Handle.cache(cache, layer: ReLU.name, as: T.self)
            guard case let .relu(x) = saved else { throw saved.mismatch(expected: ReLU.name) }
            let dout = try dout.tensor("dout", layer: ReLU.name, as: T.self)
            store(try Handle.retained(try ReLU.backward(dout: dout, x: x, scheduler: ThreadSetting.scheduler)), in: dx)
        }
        try run(elementType(of: dout, name: "dout", layer: ReLU.name))
    }
}

@_cdecl("tessel_dropout_forward")
public func tesselDropoutForward(_ x: ArrayArgument, _ p: Double, _ mode: Int32, _ hasSeed: Int32, _ seed: UInt64,
                                 _ out: HandleOut, _ cache: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let parameters = Dropout.Parameters(p: p, mode: try layerMode(mode, layer: Dropout.name), seed: hasSeed != 0 ? seed : nil)
            let x = try x.tensor("x", layer: Dropout.name, as: T.self)
            let (result, mask) = try Dropout.forward(x: x, parameters: parameters, scheduler: ThreadSetting.scheduler)
            store(try Handle.retained(result), in: out)
            store(Handle.retained(ForwardCache.dropout(mask: mask, parameters: parameters)), in: cache)
        }
        try run(elementType(of: x, name: "x", layer: Dropout.name))
    }
}

@_cdecl("tessel_dropout_backward")
public func tesselDropoutBackward(_ dout: ArrayArgument, _ cache: OpaquePointer?, _ dx: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let saved = try Handle.cache(cache, layer: Dropout.name, as: T.self)
            guard case let .dropout(mask, parameters) = saved else { throw saved.mismatch(expected: Dropout.name) }
            let dout = try dout.tensor("dout", layer: Dropout.name, as: T.self)
            let result = try Dropout.backward(dout: dout, mask: mask, parameters: parameters, scheduler: ThreadSetting.scheduler)
            store(try Handle.retained(result), in: dx)
        }
        try run(elementType(of: dout, name: "dout", layer: Dropout.name))
    }
}

/// The `Mode` of a `TESSEL_TRAIN` / `TESSEL_TEST` argument.
/// - Throws: `TesselError.invalidParameter` for any other value.
func layerMode(_ code: Int32, layer: String) throws -> Mode {
    switch code {
    case TESSEL_TRAIN: return .train
    case TESSEL_TEST: return .test
    default:
        throw TesselError.invalidParameter(component: layer, parameter: "mode", value: "\(code)",
                                           reason: "expected TESSEL_TRAIN (0) or TESSEL_TEST (1)")
    }
}
