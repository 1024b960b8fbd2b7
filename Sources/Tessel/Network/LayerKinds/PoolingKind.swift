/// A pooling layer kind: square `size`×`size` windows moved by `stride` (default `size`) over
/// images. Gives such a kind its config keys, output shape and cost, and its `tessel op`
/// parameters; the kind itself calls its layer.
package protocol PoolingKind: LayerKind {
    /// The side of the square window (≥ 1, ≤ H and W).
    var size: Int { get }
    /// Distance between adjacent windows (≥ 1).
    var stride: Int { get }

    init(size: Int, stride: Int)

    /// The layer's output shape (N, C, H', W') for an input of shape `x`: its own validation.
    /// - Throws: the layer's `TesselError`s.
    static func layerOutputShape(x: [Int], window: PoolingWindow) throws -> [Int]
}

extension PoolingKind {
    package static var configKeys: [LayerConfigKey] { ["size", "stride"].map { LayerConfigKey($0) } }
    package static var exampleRank: Int? { 3 }
    /// The parameters of the kind's `tessel op` operation, CS231n's `pool_param` keys.
    static var operationParameters: [String] { ["pool_height", "pool_width", "stride"] }

    /// `size`, and `stride` (default: `size`).
    package init(config: KeyedDecodingContainer<LayerConfigKey>) throws {
        let size = try config.integer(LayerConfigKey("size"), atLeast: 1)
        self.init(size: size, stride: try config.integer(LayerConfigKey("stride"), default: size, atLeast: 1))
    }

    package func encode(config: inout KeyedEncodingContainer<LayerConfigKey>) throws {
        for (key, value) in zip(Self.configKeys, [size, stride]) { try config.encode(value, forKey: key) }
    }

    /// The layer's window: `size`×`size`, moved by `stride`.
    var window: PoolingWindow { PoolingWindow(poolHeight: size, poolWidth: size, stride: stride) }

    package func outputShape(input: [Int]) throws -> [Int] {
        do {
            return Array(try Self.layerOutputShape(x: [1] + input, window: window).dropFirst())
        } catch let TesselError.invalidParameter(layer, "poolHeight", value, reason), let TesselError.invalidParameter(layer, "poolWidth", value, reason) {
            // The window's height and width are this kind's `size`.
            throw TesselError.invalidParameter(component: layer, parameter: "size", value: value, reason: reason)
        }
    }

    /// k² operations (comparisons or additions) per output each way.
    package func flops(input: [Int], inputElements: Double, outputElements: Double) -> (forward: Double, backward: Double) {
        (outputElements * Double(size * size), outputElements * Double(size * size))
    }

    /// The window of a `tessel op` call (`pool_height`, `pool_width`, `stride`, all required).
    static func window<T>(_ call: OperationCall<T>) throws -> PoolingWindow {
        PoolingWindow(poolHeight: try call.arguments.int("pool_height", default: nil), poolWidth: try call.arguments.int("pool_width", default: nil),
                      stride: try call.arguments.int("stride", default: nil))
    }
}
