/// Argument checks shared by the normalization layers; each layer's validation (used by
/// both its tiled and its reference path) is built from these.
enum NormalizationChecks {
    /// `eps` must be positive and finite.
    static func eps(_ eps: Double, layer: String) throws {
        guard eps.isFinite, eps > 0 else {
            throw TesselError.invalidParameter(component: layer, parameter: "eps", value: "\(eps)", reason: "must be positive and finite")
        }
    }

    /// `momentum` must lie in [0, 1].
    static func momentum(_ momentum: Double, layer: String) throws {
        guard momentum >= 0, momentum <= 1 else {
            throw TesselError.invalidParameter(component: layer, parameter: "momentum", value: "\(momentum)", reason: "must be in [0, 1]")
        }
    }

    /// `tensor` must have `rank` dimensions; `layout` names them, e.g. "(N, D)".
    static func rank<T>(_ tensor: Tensor<T>, _ rank: Int, layout: String, layer: String, argument: String) throws {
        try self.rank(tensor.shape, rank, layout: layout, layer: layer, argument: argument)
    }

    /// `shape` must have `rank` dimensions; `layout` names them, e.g. "(N, D)".
    static func rank(_ shape: [Int], _ rank: Int, layout: String, layer: String, argument: String) throws {
        guard shape.count == rank else {
            throw TesselError.shapeMismatch(component: layer, argument: argument, expected: "rank \(rank) \(layout)", actual: shape)
        }
    }

    /// `tensor` must have shape `expected`; `meaning` says where that shape comes from,
    /// e.g. "(D,) for x of shape (3, 5)".
    static func shape<T>(_ tensor: Tensor<T>, _ expected: [Int], meaning: String, layer: String, argument: String) throws {
        guard tensor.shape == expected else {
            throw TesselError.shapeMismatch(component: layer, argument: argument,
                                            expected: "\(Shape.describe(expected)): \(meaning)", actual: tensor.shape)
        }
    }

    /// A backward's `dout` must have the shape of the forward's input.
    static func dout<T>(_ dout: Tensor<T>, x: Tensor<T>, layer: String) throws {
        guard dout.shape == x.shape else {
            throw TesselError.shapeMismatch(component: layer, argument: "dout", expected: "the shape of x \(Shape.describe(x.shape))", actual: dout.shape)
        }
    }
}
