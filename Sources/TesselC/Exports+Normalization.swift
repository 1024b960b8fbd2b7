import CTessel
import Tessel

// Batch norm, layer norm, spatial batch norm and spatial group norm (CS231n's
// `batchnorm_*`, `layernorm_*`, `spatial_batchnorm_*`, `spatial_groupnorm_*`).

@_cdecl("tessel_batchnorm_forward")
public func tesselBatchNormForward(_ x: ArrayArgument, _ gamma: ArrayArgument, _ beta: ArrayArgument,
                                   _ mode: Int32, _ eps: Double, _ momentum: Double,
                                   _ runningMean: ArrayArgument, _ runningVar: ArrayArgument,
                                   _ out: HandleOut, _ runningMeanOut: HandleOut, _ runningVarOut: HandleOut,
                                   _ cache: HandleOut, _ error: ErrorOut) -> tessel_status {
    batchNormForward(spatial: false, x, gamma, beta, mode, eps, momentum, runningMean, runningVar, out, runningMeanOut, runningVarOut,
                     cache, error)
}

/// `tessel_batchnorm_forward` (`spatial` false) or `tessel_spatial_batchnorm_forward` (true):
/// the same arguments, the running statistics updated in train mode.
private func batchNormForward(spatial: Bool, _ x: ArrayArgument, _ gamma: ArrayArgument, _ beta: ArrayArgument,
                              _ mode: Int32, _ eps: Double, _ momentum: Double,
                              _ runningMean: ArrayArgument, _ runningVar: ArrayArgument,
                              _ out: HandleOut, _ runningMeanOut: HandleOut, _ runningVarOut: HandleOut,
                              _ cache: HandleOut, _ error: ErrorOut) -> tessel_status {
    let layer = spatial ? SpatialBatchNorm.name : BatchNorm.name
    return exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let parameters = BatchNorm.Parameters(mode: try layerMode(mode, layer: layer), eps: eps, momentum: momentum)
            let x = try x.tensor("x", layer: layer, as: T.self)
            let gamma = try gamma.tensor("gamma", layer: layer, as: T.self), beta = try beta.tensor("beta", layer: layer, as: T.self)
            var running = RunningStatistics(mean: try runningMean.tensor("running_mean", layer: layer, as: T.self),
                                            variance: try runningVar.tensor("running_var", layer: layer, as: T.self))
            let result: Tensor<T>, saved: ForwardCache<T>
            if spatial {
                let forward = try SpatialBatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters,
                                                           running: &running, scheduler: ThreadSetting.scheduler)
                (result, saved) = (forward.0, .spatialBatchNorm(forward.1))
            } else {
                let forward = try BatchNorm.forward(x: x, gamma: gamma, beta: beta, parameters: parameters,
                                                    running: &running, scheduler: ThreadSetting.scheduler)
                (result, saved) = (forward.0, .batchNorm(forward.1))
            }
            store(try Handle.retained(result), in: out)
            try storeRunning(running, mode: parameters.mode, mean: runningMeanOut, variance: runningVarOut)
            store(Handle.retained(saved), in: cache)
        }
        try run(elementType(of: x, name: "x", layer: layer))
    }
}

@_cdecl("tessel_batchnorm_backward")
public func tesselBatchNormBackward(_ dout: ArrayArgument, _ cache: OpaquePointer?,
                                    _ dx: HandleOut, _ dgamma: HandleOut, _ dbeta: HandleOut, _ error: ErrorOut) -> tessel_status {
    batchNormBackward(dout, cache, alternative: false, dx, dgamma, dbeta, error)
}

@_cdecl("tessel_batchnorm_backward_alt")
public func tesselBatchNormBackwardAlt(_ dout: ArrayArgument, _ cache: OpaquePointer?,
                                       _ dx: HandleOut, _ dgamma: HandleOut, _ dbeta: HandleOut, _ error: ErrorOut) -> tessel_status {
    batchNormBackward(dout, cache, alternative: true, dx, dgamma, dbeta, error)
}

/// `tessel_batchnorm_backward` (`alternative` false: through the graph) or
/// `tessel_batchnorm_backward_alt` (true: the simplified closed form).
private func batchNormBackward(_ dout: ArrayArgument, _ cache: OpaquePointer?, alternative: Bool,
                               _ dx: HandleOut, _ dgamma: HandleOut, _ dbeta: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let saved = try Handle.cache(cache, layer: BatchNorm.name, as: T.self)
            guard case let .batchNorm(statistics) = saved else { throw saved.mismatch(expected: BatchNorm.name) }
            let dout = try dout.tensor("dout", layer: BatchNorm.name, as: T.self)
            let g = alternative
                ? try BatchNorm.backwardAlt(dout: dout, cache: statistics, scheduler: ThreadSetting.scheduler)
                : try BatchNorm.backward(dout: dout, cache: statistics, scheduler: ThreadSetting.scheduler)
            try storeGradients(g, dx, dgamma, dbeta)
        }
        try run(elementType(of: dout, name: "dout", layer: BatchNorm.name))
    }
}

@_cdecl("tessel_layernorm_forward")
public func tesselLayerNormForward(_ x: ArrayArgument, _ gamma: ArrayArgument, _ beta: ArrayArgument, _ eps: Double,
                                   _ out: HandleOut, _ cache: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let layer = LayerNorm.name
            let x = try x.tensor("x", layer: layer, as: T.self)
            let gamma = try gamma.tensor("gamma", layer: layer, as: T.self), beta = try beta.tensor("beta", layer: layer, as: T.self)
            let (result, saved) = try LayerNorm.forward(x: x, gamma: gamma, beta: beta, parameters: LayerNorm.Parameters(eps: eps),
                                                        scheduler: ThreadSetting.scheduler)
            store(try Handle.retained(result), in: out)
            store(Handle.retained(ForwardCache.layerNorm(saved)), in: cache)
        }
        try run(elementType(of: x, name: "x", layer: LayerNorm.name))
    }
}

@_cdecl("tessel_layernorm_backward")
public func tesselLayerNormBackward(_ dout: ArrayArgument, _ cache: OpaquePointer?,
                                    _ dx: HandleOut, _ dgamma: HandleOut, _ dbeta: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let saved = try Handle.cache(cache, layer: LayerNorm.name, as: T.self)
            guard case let .layerNorm(statistics) = saved else { throw saved.mismatch(expected: LayerNorm.name) }
            let dout = try dout.tensor("dout", layer: LayerNorm.name, as: T.self)
            try storeGradients(try LayerNorm.backward(dout: dout, cache: statistics, scheduler: ThreadSetting.scheduler), dx, dgamma, dbeta)
        }
        try run(elementType(of: dout, name: "dout", layer: LayerNorm.name))
    }
}

@_cdecl("tessel_spatial_batchnorm_forward")
public func tesselSpatialBatchNormForward(_ x: ArrayArgument, _ gamma: ArrayArgument, _ beta: ArrayArgument,
                                          _ mode: Int32, _ eps: Double, _ momentum: Double,
                                          _ runningMean: ArrayArgument, _ runningVar: ArrayArgument,
                                          _ out: HandleOut, _ runningMeanOut: HandleOut, _ runningVarOut: HandleOut,
                                          _ cache: HandleOut, _ error: ErrorOut) -> tessel_status {
    batchNormForward(spatial: true, x, gamma, beta, mode, eps, momentum, runningMean, runningVar, out, runningMeanOut, runningVarOut,
                     cache, error)
}

@_cdecl("tessel_spatial_batchnorm_backward")
public func tesselSpatialBatchNormBackward(_ dout: ArrayArgument, _ cache: OpaquePointer?,
                                           _ dx: HandleOut, _ dgamma: HandleOut, _ dbeta: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let saved = try Handle.cache(cache, layer: SpatialBatchNorm.name, as: T.self)
            guard case let .spatialBatchNorm(statistics) = saved else { throw saved.mismatch(expected: SpatialBatchNorm.name) }
            let dout = try dout.tensor("dout", layer: SpatialBatchNorm.name, as: T.self)
            try storeGradients(try SpatialBatchNorm.backward(dout: dout, cache: statistics, scheduler: ThreadSetting.scheduler),
                           dx, dgamma, dbeta)
        }
        try run(elementType(of: dout, name: "dout", layer: SpatialBatchNorm.name))
    }
}

@_cdecl("tessel_spatial_groupnorm_forward")
public func tesselSpatialGroupNormForward(_ x: ArrayArgument, _ gamma: ArrayArgument, _ beta: ArrayArgument,
                                          _ groups: Int64, _ eps: Double,
                                          _ out: HandleOut, _ cache: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let layer = GroupNorm.name
            let x = try x.tensor("x", layer: layer, as: T.self)
            let gamma = try gamma.tensor("gamma", layer: layer, as: T.self), beta = try beta.tensor("beta", layer: layer, as: T.self)
            let (result, saved) = try GroupNorm.forward(x: x, gamma: gamma, beta: beta,
                                                        parameters: GroupNorm.Parameters(groups: Int(groups), eps: eps),
                                                        scheduler: ThreadSetting.scheduler)
            store(try Handle.retained(result), in: out)
            store(Handle.retained(ForwardCache.groupNorm(saved)), in: cache)
        }
        try run(elementType(of: x, name: "x", layer: GroupNorm.name))
    }
}

@_cdecl("tessel_spatial_groupnorm_backward")
public func tesselSpatialGroupNormBackward(_ dout: ArrayArgument, _ cache: OpaquePointer?,
                                           _ dx: HandleOut, _ dgamma: HandleOut, _ dbeta: HandleOut, _ error: ErrorOut) -> tessel_status {
    exported(error) {
        func run<T: ExportedScalar>(_: T.Type) throws {
            let saved = try Handle.cache(cache, layer: GroupNorm.name, as: T.self)
            guard case let .groupNorm(statistics) = saved else { throw saved.mismatch(expected: GroupNorm.name) }
            let dout = try dout.tensor("dout", layer: GroupNorm.name, as: T.self)
            try storeGradients(try GroupNorm.backward(dout: dout, cache: statistics, scheduler: ThreadSetting.scheduler), dx, dgamma, dbeta)
        }
        try run(elementType(of: dout, name: "dout", layer: GroupNorm.name))
    }
}

/// Hands out a normalization's three gradients.
private func storeGradients<T: TesselScalar>(_ g: NormalizationGradients<T>, _ dx: HandleOut, _ dgamma: HandleOut, _ dbeta: HandleOut) throws {
    store(try Handle.retained(g.dx), in: dx)
    store(try Handle.retained(g.dgamma), in: dgamma)
    store(try Handle.retained(g.dbeta), in: dbeta)
}

/// Hands out the updated running statistics in train mode; NULL in test mode (unchanged).
private func storeRunning<T: TesselScalar>(_ running: RunningStatistics<T>, mode: Mode, mean: HandleOut, variance: HandleOut) throws {
    store(mode == .train ? try Handle.retained(running.mean) : nil, in: mean)
    store(mode == .train ? try Handle.retained(running.variance) : nil, in: variance)
}
