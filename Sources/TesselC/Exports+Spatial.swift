import CTessel
import Tessel

// Convolution and max pooling (CS231n's `conv_*_naive`, `max_pool_*_naive`).

@_cdecl("tessel_conv_forward")
public func tesselConvForward(_ x: ArrayArgument, _ w: ArrayArgument, _ b: ArrayArgument, _ stride: Int64, _ pad: Int64,
                              _ out: HandleOut, _ cache: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let parameters = Convolution.Parameters(stride: Int(stride), pad: Int(pad))
            let x = try x.tensor("x", layer: Convolution.name, as: T.self)
            let w = try w.tensor("w", layer: Convolution.name, as: T.self), b = try b.tensor("b", layer: Convolution.name, as: T.self)
            let result = try Convolution.forward(x: x, w: w, b: b, parameters: parameters, scheduler: ThreadSetting.scheduler)
            store(try Handle.retained(result), in: out)
            store(Handle.retained(ForwardCache.convolution(x: x, w: w, b: b, parameters: parameters)), in: cache)
        }
        try run(elementType(of: x, name: "x", layer: Convolution.name))
    }
}

@_cdecl("tessel_conv_backward")
public func tesselConvBackward(_ dout: ArrayArgument, _ cache: OpaquePointer?,
                               _ dx: HandleOut, _ dw: HandleOut, _ db: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let saved = try Handle.cache(cache, layer: Convolution.name, as: T.self)
            guard case let .convolution(x, w, b, parameters) = saved else { throw saved.mismatch(expected: Convolution.name) }
            let dout = try dout.tensor("dout", layer: Convolution.name, as: T.self)
            let g = try Convolution.backward(dout: dout, x: x, w: w, b: b, parameters: parameters, scheduler: ThreadSetting.scheduler)
            store(try Handle.retained(g.dx), in: dx)
            store(try Handle.retained(g.dw), in: dw)
            store(try Handle.retained(g.db), in: db)
        }
        try run(elementType(of: dout, name: "dout", layer: Convolution.name))
    }
}

@_cdecl("tessel_max_pool_forward")
public func tesselMaxPoolForward(_ x: ArrayArgument, _ poolHeight: Int64, _ poolWidth: Int64, _ stride: Int64,
                                 _ out: HandleOut, _ cache: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let parameters = MaxPool.Parameters(poolHeight: Int(poolHeight), poolWidth: Int(poolWidth), stride: Int(stride))
            let x = try x.tensor("x", layer: MaxPool.name, as: T.self)
            let result = try MaxPool.forward(x: x, parameters: parameters, scheduler: ThreadSetting.scheduler)
            store(try Handle.retained(result), in: out)
            store(Handle.retained(ForwardCache.maxPool(x: x, parameters: parameters)), in: cache)
        }
        try run(elementType(of: x, name: "x", layer: MaxPool.name))
    }
}

@_cdecl("tessel_max_pool_backward")
public func tesselMaxPoolBackward(_ dout: ArrayArgument, _ cache: OpaquePointer?, _ dx: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let saved = try Handle.cache(cache, layer: MaxPool.name, as: T.self)
            guard case let .maxPool(x, parameters) = saved else { throw saved.mismatch(expected: MaxPool.name) }
            let dout = try dout.tensor("dout", layer: MaxPool.name, as: T.self)
            store(try Handle.retained(try MaxPool.backward(dout: dout, x: x, parameters: parameters, scheduler: ThreadSetting.scheduler)), in: dx)
        }
        try run(elementType(of: dout, name: "dout", layer: MaxPool.name))
    }
}
