import ArgumentParser
import Tessel
import TesselOps

// `tessel op`'s layer, direction and dtype as typed arguments: ArgumentParser refuses an
// unknown value while parsing, naming the argument and the value, and lists the values in
// `--help`.

extension OpLayer: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension OpDirection: ExpressibleByArgument {}

/// The scalar types `tessel op` computes in.
enum OpScalarType: String, ExpressibleByArgument, CaseIterable {
    case float32, float64

    /// The `.npy` dtype of the outputs.
    var dtype: DType { self == .float32 ? .float32 : .float64 }
}
