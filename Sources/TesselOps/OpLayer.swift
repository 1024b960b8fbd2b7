import Tessel

/// An operation `tessel op` can evaluate: a layer kind's forward and backward or a loss, by
/// its name (CS231n's function stem), with the inputs and parameters it takes. The
/// operations are those of the registered layer kinds (`LayerKinds.operations`): a new kind's
/// operations appear here without a change to this file.
public struct OpLayer: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The name on the command line (`conv`, `batchnorm_alt`, `svm_loss`).
    public let rawValue: String

    /// The operation called `rawValue`, or nil when there is none.
    public init?(rawValue: String) {
        guard LayerKinds.operations.contains(where: { $0.name == rawValue }) else { return nil }
        self.rawValue = rawValue
    }

    /// A registered operation named in code (the golden cases). A name that is not registered
    /// is a programming error.
    public init(stringLiteral name: String) {
        guard let layer = OpLayer(rawValue: name) else { preconditionFailure("no layer operation is named '\(name)'") }
        self = layer
    }

    /// Every operation, in the registry's order.
    public static var allCases: [OpLayer] { LayerKinds.operations.map { OpLayer(stringLiteral: $0.name) } }

    public var description: String { rawValue }

    var operation: LayerOperation { LayerKinds.operations.first { $0.name == rawValue }! }

    /// Inputs the forward pass needs; `backward` needs these plus `dout` (losses excepted).
    public var forwardInputs: [String] { operation.forwardInputs }

    /// Inputs that may be given and otherwise take CS231n's defaults.
    public var optionalInputs: [String] { operation.optionalInputs }

    /// True for the two losses, whose forward already returns the gradient.
    public var isLoss: Bool { operation.isLoss }

    /// Every input name the layer accepts in `direction`.
    public func inputs(for direction: OpDirection) -> (required: [String], optional: [String]) {
        let required = forwardInputs + (direction == .backward && !isLoss ? ["dout"] : [])
        return (required, optionalInputs)
    }

    /// The parameter keys the layer accepts (values are checked by the library).
    public var parameters: [String] { operation.parameters }
}

/// `forward` or `backward`.
public enum OpDirection: String, CaseIterable, Sendable {
    case forward, backward
}
