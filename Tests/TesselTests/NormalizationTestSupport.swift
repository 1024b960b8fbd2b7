@testable import Tessel

/// The 2-norm of a tensor, in `Double`.
func norm<T: TesselScalar>(_ t: Tensor<T>) -> Double {
    t.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
}

/// Normwise error ‖a − b‖₂ / max(‖b‖₂, floor). A gradient that is exactly 0 in exact
/// arithmetic (dx of a normalization over a single value) is compared with `floor` set to the
/// size of the terms that cancel, since an error relative to 0 means nothing.
func normwiseError<T: TesselScalar>(_ a: Tensor<T>, _ b: Tensor<T>, floor: Double) -> Double {
    precondition(a.shape == b.shape, "shapes differ: \(a.shape) vs \(b.shape)")
    var difference = 0.0
    for i in 0..<a.count {
        let delta = Double(a[flat: i]) - Double(b[flat: i])
        difference += delta * delta
    }
    return difference.squareRoot() / max(norm(b), floor, 1e-300)
}

/// ‖dout‖·max|γ|/√eps: the size of the terms of a normalization's dx when every statistic is
/// over one value (variance 0), where those terms cancel exactly.
func singleValueGradientScale<T: TesselScalar>(dout: Tensor<T>, gamma: Tensor<T>, eps: Double = 1e-5) -> Double {
    norm(dout) * gamma.scalars.map { abs(Double($0)) }.max()! / eps.squareRoot()
}

/// Per-row mean and uncorrected standard deviation of an (N, D) tensor.
func rowMoments<T: TesselScalar>(_ t: Tensor<T>) -> (mean: [Double], std: [Double]) {
    let n = t.shape[0], d = t.shape[1]
    var means = [Double](), stds = [Double]()
    for i in 0..<n {
        let row = (0..<d).map { Double(t[i, $0]) }
        let mean = row.reduce(0, +) / Double(d)
        means.append(mean)
        stds.append((row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d)).squareRoot())
    }
    return (means, stds)
}
