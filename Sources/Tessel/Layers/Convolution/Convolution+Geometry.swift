extension Convolution {
    /// The sizes of one convolution call, validated: input `(n, c, h, w)`, filters
    /// `(f, c, hh, ww)`, output `(n, f, outH, outW)`.
    struct Geometry {
        let n: Int, c: Int, h: Int, w: Int
        let f: Int, hh: Int, ww: Int
        let stride: Int, pad: Int
        let outH: Int, outW: Int

        /// Values per filter, the depth of the forward product: `c × hh × ww`.
        var filterSize: Int { c * hh * ww }
        /// Output pixels per image and filter: `outH × outW`.
        var pixels: Int { outH * outW }
        /// Input values per image: `c × h × w`.
        var imageSize: Int { c * h * w }
        /// Height of the zero-padded input: `h + 2 × pad`.
        var paddedHeight: Int { h + 2 * pad }
        /// Width of the zero-padded input: `w + 2 × pad`.
        var paddedWidth: Int { w + 2 * pad }
        /// Values per zero-padded input plane.
        var paddedPlane: Int { paddedHeight * paddedWidth }
    }

    /// The output height and width for an input of `inputHeight × inputWidth` and a filter of
    /// `filterHeight × filterWidth`: `H' = 1 + (H + 2·pad − HH) / stride` rounded down, likewise
    /// `W'` (PyTorch's and CS231n's `//`). When the stride does not divide `H + 2·pad − HH`, the
    /// last rows (columns) of the padded input lie in no window: they do not affect the output
    /// and get zero gradient.
    /// - Throws: `TesselError.invalidParameter` when `stride < 1`, `pad < 0` or `H + 2·pad`
    ///   overflows `Int`; `TesselError.shapeMismatch` (argument `w`) when a filter dimension is
    ///   below 1 or larger than the padded input.
    public static func outputSize(inputHeight: Int, inputWidth: Int, filterHeight: Int, filterWidth: Int,
                                  parameters: Parameters) throws -> (height: Int, width: Int) {
        try check(parameters)
        let context = "input \(inputHeight) × \(inputWidth)"
        let filter = [filterHeight, filterWidth]
        return (try outputExtent(inputHeight, window: filterHeight, axis: "height", parameters: parameters, filterShape: filter, context: context),
                try outputExtent(inputWidth, window: filterWidth, axis: "width", parameters: parameters, filterShape: filter, context: context))
    }

    static func check(_ parameters: Parameters) throws {
        guard parameters.stride >= 1 else {
            throw TesselError.invalidParameter(component: name, parameter: "stride", value: "\(parameters.stride)", reason: "must be at least 1")
        }
        guard parameters.pad >= 0 else {
            throw TesselError.invalidParameter(component: name, parameter: "pad", value: "\(parameters.pad)", reason: "must not be negative")
        }
    }

    static func outputExtent(_ input: Int, window: Int, axis: String, parameters: Parameters,
                             filterShape: [Int], context: String) throws -> Int {
        let (twicePad, padOverflow) = parameters.pad.multipliedReportingOverflow(by: 2)
        let (padded, overflow) = input.addingReportingOverflow(twicePad)
        guard !padOverflow, !overflow else {
            throw TesselError.invalidParameter(component: name, parameter: "pad", value: "\(parameters.pad)",
                                               reason: "the padded \(axis) \(input) + 2·pad overflows Int (\(context))")
        }
        guard window >= 1, window <= padded else {
            throw TesselError.shapeMismatch(component: name, argument: "w",
                expected: "a filter \(axis) from 1 to the padded input \(axis) \(padded) (\(context), pad \(parameters.pad))",
                actual: filterShape)
        }
        return 1 + (padded - window) / parameters.stride
    }

    /// Checks the forward arguments. Shared by the tiled and reference paths.
    static func validate<T>(x: Tensor<T>, w: Tensor<T>, b: Tensor<T>, parameters: Parameters) throws -> Geometry {
        guard x.rank == 4 else {
            throw TesselError.shapeMismatch(component: name, argument: "x", expected: "(N, C, H, W)", actual: x.shape)
        }
        guard w.rank == 4 else {
            throw TesselError.shapeMismatch(component: name, argument: "w", expected: "(F, C, HH, WW)", actual: w.shape)
        }
        let (n, c, h, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (f, hh, ww) = (w.shape[0], w.shape[2], w.shape[3])
        guard w.shape[1] == c else {
            throw TesselError.shapeMismatch(component: name, argument: "w", expected: "(F, \(c), HH, WW): the C of x \(Shape.describe(x.shape))", actual: w.shape)
        }
        guard b.shape == [f] else {
            throw TesselError.shapeMismatch(component: name, argument: "b", expected: "(\(f),), the F of w \(Shape.describe(w.shape))", actual: b.shape)
        }
        try check(parameters)
        let context = "x \(Shape.describe(x.shape))"
        let outH = try outputExtent(h, window: hh, axis: "height", parameters: parameters, filterShape: w.shape, context: context)
        let outW = try outputExtent(width, window: ww, axis: "width", parameters: parameters, filterShape: w.shape, context: context)
        // The kernels multiply these sizes without overflow checks: the padded image, the
        // output and the filter-by-pixel product must each have an element count that fits.
        let padded = [c, h + 2 * parameters.pad, width + 2 * parameters.pad]
        for sizes in [padded, [n, f, outH, outW], [outH, outW, c, hh, ww]] where (try? Shape.elementCount(sizes)) == nil {
            throw TesselError.invalidParameter(component: name, parameter: "pad", value: "\(parameters.pad)",
                                               reason: "the sizes \(Shape.describe(sizes)) it gives for \(context) and w \(Shape.describe(w.shape)) overflow Int")
        }
        return Geometry(n: n, c: c, h: h, w: width, f: f, hh: hh, ww: ww,
                        stride: parameters.stride, pad: parameters.pad, outH: outH, outW: outW)
    }

    /// Checks the backward arguments: those of `forward`, and `dout` of the output's shape.
    static func validateBackward<T>(dout: Tensor<T>, x: Tensor<T>, w: Tensor<T>, b: Tensor<T>,
                                    parameters: Parameters) throws -> Geometry {
        let g = try validate(x: x, w: w, b: b, parameters: parameters)
        let expected = [g.n, g.f, g.outH, g.outW]
        guard dout.shape == expected else {
            throw TesselError.shapeMismatch(component: name, argument: "dout", expected: "(N, F, H', W') = \(Shape.describe(expected))", actual: dout.shape)
        }
        return g
    }
}
