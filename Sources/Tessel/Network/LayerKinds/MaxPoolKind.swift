/// `maxpool`: max pooling over `size`×`size` windows moved by `stride`.
package struct MaxPoolKind: PoolingKind {
    package typealias Layer = MaxPool

    package var size: Int
    package var stride: Int

    package init(size: Int, stride: Int) {
        (self.size, self.stride) = (size, stride)
    }

    /// x itself: the backward finds each window's maximum again.
    package static func saved<T: TesselScalar>(_ x: Tensor<T>) -> LayerRecord<T> { .input(x) }

    @_specialize(exported: true, where T == Float)
    package static func backward<T: TesselScalar>(_ dout: Tensor<T>, saved: LayerRecord<T>, _ window: PoolingWindow,
                                                  backend: Backend) throws -> Tensor<T> {
        let x = saved.input()
        return switch backend {
        case let .tiled(s): try MaxPool.backward(dout: dout, x: x, parameters: window, scheduler: s)
        case .reference: try MaxPool.Reference.backward(dout: dout, x: x, parameters: window)
        }
    }
}

extension MaxPool: PoolingLayer {}
extension MaxPool.Reference: PoolingReference {}

extension LayerSpec {
    /// Max pooling over `size`×`size` windows moved by `stride`.
    public static func maxPool(size: Int, stride: Int) -> LayerSpec { LayerSpec(MaxPoolKind(size: size, stride: stride)) }
}
