import Tessel
import TesselOps

/// One layer evaluation whose outputs a golden file records: a layer, its `tessel op`
/// parameters and the shapes of its seeded inputs. `GoldenLayerCase.all` is the list the
/// golden file `golden/layers.sha256` covers.
public struct GoldenLayerCase: Sendable {
    /// A seeded input: its name as CS231n's argument (`x`, `w`, `gamma`, …) and shape.
    public struct Input: Sendable {
        public var name: String
        public var shape: [Int]
    }

    /// Unique within `all`: the layer and what is special about the shapes (`conv/stride2`).
    public var name: String
    public var layer: OpLayer
    /// `NAME=VALUE` pairs, as `tessel op --param` takes them.
    public var parameters: [String]
    public var inputs: [Input]
    /// For the losses: the number of classes the labels `y` are drawn from (one per row of x).
    public var classes: Int?

    /// A case named `name` of `layer` with `tessel op` parameters and seeded inputs of the given shapes.
    public init(_ name: String, _ layer: OpLayer, _ parameters: [String] = [], _ inputs: [(String, [Int])], classes: Int? = nil) {
        self.name = name
        self.layer = layer
        self.parameters = parameters
        self.inputs = inputs.map { Input(name: $0.0, shape: $0.1) }
        self.classes = classes
    }

    /// Every layer and direction on odd shapes: N = 1, prime sizes, stride 2, pad 0, G = 1 and
    /// G = C, windows that leave the last rows or columns out (the output size rounds down),
    /// both batch-norm modes and backward forms, and sizes large enough that the
    /// reductions span several chunks and a matrix product several depth blocks.
    public static let all: [GoldenLayerCase] = [
        GoldenLayerCase("affine/n1", "affine", [], [("x", [1, 5]), ("w", [5, 3]), ("b", [3])]),
        GoldenLayerCase("affine/image", "affine", [], [("x", [7, 3, 2, 3]), ("w", [18, 11]), ("b", [11])]),
        GoldenLayerCase("affine/deep", "affine", [], [("x", [67, 521]), ("w", [521, 73]), ("b", [73])]),
        GoldenLayerCase("relu/n1", "relu", [], [("x", [1, 7])]),
        GoldenLayerCase("relu/image", "relu", [], [("x", [3, 5, 7, 11])]),
        GoldenLayerCase("batchnorm/train", "batchnorm", ["mode=train"], [("x", [13, 7]), ("gamma", [7]), ("beta", [7])]),
        GoldenLayerCase("batchnorm/train-tall", "batchnorm", ["mode=train", "momentum=0.7"],
                        [("x", [2053, 19]), ("gamma", [19]), ("beta", [19]), ("running_mean", [19]), ("running_var", [19])]),
        GoldenLayerCase("batchnorm/test", "batchnorm", ["mode=test", "eps=0.001"],
                        [("x", [11, 5]), ("gamma", [5]), ("beta", [5]), ("running_mean", [5]), ("running_var", [5])]),
        GoldenLayerCase("batchnorm_alt/train", "batchnorm_alt", ["mode=train"], [("x", [29, 13]), ("gamma", [13]), ("beta", [13])]),
        GoldenLayerCase("batchnorm_alt/train-tall", "batchnorm_alt", ["mode=train"], [("x", [2053, 7]), ("gamma", [7]), ("beta", [7])]),
        GoldenLayerCase("layernorm/n1", "layernorm", [], [("x", [1, 29]), ("gamma", [29]), ("beta", [29])]),
        GoldenLayerCase("layernorm/wide", "layernorm", ["eps=0.0001"], [("x", [37, 1031]), ("gamma", [1031]), ("beta", [1031])]),
        GoldenLayerCase("dropout/train", "dropout", ["p=0.7", "mode=train", "seed=3"], [("x", [5, 13])]),
        GoldenLayerCase("dropout/train-large", "dropout", ["p=0.3", "mode=train", "seed=11"], [("x", [7, 3, 31, 29])]),
        GoldenLayerCase("dropout/test", "dropout", ["p=0.5", "mode=test"], [("x", [3, 7])]),
        GoldenLayerCase("conv/pad1", "conv", ["stride=1", "pad=1"], [("x", [2, 3, 7, 9]), ("w", [4, 3, 3, 3]), ("b", [4])]),
        GoldenLayerCase("conv/stride2", "conv", ["stride=2", "pad=1"], [("x", [1, 3, 9, 7]), ("w", [5, 3, 3, 3]), ("b", [5])]),
        GoldenLayerCase("conv/pad0", "conv", ["stride=1", "pad=0"], [("x", [3, 2, 5, 7]), ("w", [7, 2, 3, 3]), ("b", [7])]),
        GoldenLayerCase("conv/7x7", "conv", ["stride=1", "pad=3"], [("x", [2, 3, 11, 13]), ("w", [8, 3, 7, 7]), ("b", [8])]),
        GoldenLayerCase("conv/floor-stride2", "conv", ["stride=2", "pad=1"], [("x", [2, 3, 11, 10]), ("w", [4, 3, 3, 3]), ("b", [4])]),
        GoldenLayerCase("conv/floor-7x7-stem", "conv", ["stride=2", "pad=3"], [("x", [1, 3, 13, 12]), ("w", [5, 3, 7, 7]), ("b", [5])]),
        GoldenLayerCase("conv/deep", "conv", ["stride=1", "pad=1"], [("x", [2, 37, 6, 5]), ("w", [11, 37, 3, 3]), ("b", [11])]),
        GoldenLayerCase("maxpool/2x2", "maxpool", ["pool_height=2", "pool_width=2", "stride=2"], [("x", [2, 3, 8, 6])]),
        GoldenLayerCase("maxpool/3x3-stride2", "maxpool", ["pool_height=3", "pool_width=3", "stride=2"], [("x", [1, 5, 7, 9])]),
        GoldenLayerCase("maxpool/floor-3x3-stride2", "maxpool", ["pool_height=3", "pool_width=3", "stride=2"], [("x", [2, 3, 16, 15])]),
        GoldenLayerCase("maxpool/floor-2x2", "maxpool", ["pool_height=2", "pool_width=2", "stride=2"], [("x", [1, 2, 7, 9])]),
        GoldenLayerCase("maxpool/stride1", "maxpool", ["pool_height=2", "pool_width=3", "stride=1"], [("x", [3, 2, 5, 5])]),
        GoldenLayerCase("spatial_batchnorm/train", "spatial_batchnorm", ["mode=train"],
                        [("x", [3, 5, 7, 11]), ("gamma", [5]), ("beta", [5])]),
        GoldenLayerCase("spatial_batchnorm/n1", "spatial_batchnorm", ["mode=train", "momentum=0.5"],
                        [("x", [1, 3, 5, 7]), ("gamma", [3]), ("beta", [3]), ("running_mean", [3]), ("running_var", [3])]),
        GoldenLayerCase("spatial_batchnorm/large", "spatial_batchnorm", ["mode=train"],
                        [("x", [9, 7, 31, 29]), ("gamma", [7]), ("beta", [7])]),
        GoldenLayerCase("spatial_batchnorm/test", "spatial_batchnorm", ["mode=test"],
                        [("x", [2, 3, 5, 3]), ("gamma", [3]), ("beta", [3]), ("running_mean", [3]), ("running_var", [3])]),
        GoldenLayerCase("groupnorm/g1", "groupnorm", ["G=1"], [("x", [2, 6, 5, 7]), ("gamma", [1, 6, 1, 1]), ("beta", [1, 6, 1, 1])]),
        GoldenLayerCase("groupnorm/g-equals-c", "groupnorm", ["G=6"], [("x", [3, 6, 5, 7]), ("gamma", [1, 6, 1, 1]), ("beta", [1, 6, 1, 1])]),
        GoldenLayerCase("groupnorm/g3-n1", "groupnorm", ["G=3", "eps=0.001"],
                        [("x", [1, 6, 5, 3]), ("gamma", [1, 6, 1, 1]), ("beta", [1, 6, 1, 1])]),
        GoldenLayerCase("groupnorm/large", "groupnorm", ["G=2"], [("x", [5, 4, 37, 41]), ("gamma", [1, 4, 1, 1]), ("beta", [1, 4, 1, 1])]),
        GoldenLayerCase("svm_loss/small", "svm_loss", [], [("x", [7, 5])], classes: 5),
        GoldenLayerCase("svm_loss/n1", "svm_loss", [], [("x", [1, 3])], classes: 3),
        GoldenLayerCase("svm_loss/tall", "svm_loss", [], [("x", [2053, 11])], classes: 11),
        GoldenLayerCase("svm_loss/wide", "svm_loss", [], [("x", [37, 1011])], classes: 1011),
        GoldenLayerCase("softmax_loss/small", "softmax_loss", [], [("x", [13, 11])], classes: 11),
        GoldenLayerCase("softmax_loss/n1", "softmax_loss", [], [("x", [1, 2])], classes: 2),
        GoldenLayerCase("softmax_loss/tall", "softmax_loss", [], [("x", [2053, 17])], classes: 17),
        GoldenLayerCase("softmax_loss/wide", "softmax_loss", [], [("x", [37, 1011])], classes: 1011),
    ]
}
