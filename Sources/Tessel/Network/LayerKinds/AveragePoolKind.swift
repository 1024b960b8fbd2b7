/// `avgpool`: average pooling over `size`×`size` windows moved by `stride`; a window as large
/// as the input's height and width is global average pooling.
package struct AveragePoolKind: PoolingKind {
    package typealias Layer = AveragePool

    package var size: Int
    package var stride: Int

    package init(size: Int, stride: Int) {
        (self.size, self.stride) = (size, stride)
    }

    /// Only x's shape: the backward does not read x.
    package static func saved<T: TesselScalar>(_ x: Tensor<T>) -> LayerRecord<T> { .state(x.shape) }

    @_specialize(exported: true, where T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, saved: LayerRecord<T>, _ window: PoolingWindow,
                                                  backend: Backend) throws -> Tensor<T> {
        let inputShape = saved.state(as: [Int].self)
        return switch backend {
        case let .tiled(s): try AveragePool.backward(dout: dout, inputShape: inputShape, parameters: window, scheduler: s)
        case .reference: try AveragePool.Reference.backward(dout: dout, inputShape: inputShape, parameters: window)
        }
    }
}

extension AveragePool: PoolingLayer {}
extension AveragePool.Reference: PoolingReference {}

extension LayerSpec {
    /// Average pooling over `size`×`size` windows moved by `stride` (global average pooling
    /// when `size` is the input's height and width).
    public static func averagePool(size: Int, stride: Int) -> LayerSpec { LayerSpec(AveragePoolKind(size: size, stride: stride)) }
}
