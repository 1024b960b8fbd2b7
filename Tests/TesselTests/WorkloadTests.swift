import Testing
@testable import Tessel

/// Config files: the shipped ones load, and every error names the file and the dotted key.
@Suite struct WorkloadTests {
    /// The repository's root, found from this file's path so the tests do not depend on the working directory.
    static let root = String(#filePath.dropLast("/Tests/TesselTests/WorkloadTests.swift".count))

    static func decode(_ json: String) throws -> Workload {
        try Workload.decode(Array(json.utf8), source: "test.json", name: "test")
    }

    /// The smallest valid config: one affine layer.
    static let minimal = #"{ "network": { "input": [4], "layers": [ { "type": "affine", "units": 3 } ] } }"#

    static func expectConfigurationError(_ json: String, key: String, reasonContains: String = "",
                                         sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) {
            _ = try decode(json)
        } throws: { error in
            guard case let .configuration(source, errorKey, reason) = error as? TesselError else { return false }
            return source == "test.json" && errorKey == key && (reasonContains.isEmpty || reason.contains(reasonContains))
        }
    }

    @Test func defaultIsTheThreeLayerConvNet() throws {
        let workload = try Workload.load(from: Self.root + "/config/default.json")
        #expect(workload.name == "default")
        #expect(workload.network.input == [3, 32, 32])
        #expect(workload.network.layers == [
            .convolution(filters: 32, size: 7, stride: 1, pad: 3), .spatialBatchNorm(epsilon: 1e-5, momentum: 0.9), .relu,
            .maxPool(size: 2, stride: 2), .affine(units: 100), .relu, .affine(units: 10),
        ])
        #expect(workload.network.loss == .softmax)
        #expect(workload.run.batchSize == 512)
        #expect(try workload.network.shapes() == [[32, 32, 32], [32, 32, 32], [32, 32, 32], [32, 16, 16], [100], [100], [10]])
        #expect(workload.data == .random)
    }

    @Test(arguments: ["default", "fc", "groupnorm", "digits"])
    func shippedConfigsLoad(name: String) throws {
        let workload = try Workload.load(from: Self.root + "/config/\(name).json")
        #expect(try workload.network.classes() == 10)
        #expect(!workload.description.isEmpty)
    }

    @Test func fullyConnectedConfigHasTheIssuedShape() throws {
        let workload = try Workload.load(from: Self.root + "/config/fc.json")
        #expect(workload.network.input == [3072] && workload.run.batchSize == 4096)
        let widths = workload.network.layers.compactMap { layer -> Int? in
            (layer.kind as? AffineKind)?.units
        }
        #expect(widths == [1024, 1024, 512, 10])
        let kinds = Set(workload.network.layers.map(\.typeName))
        #expect(kinds.isSuperset(of: ["batchnorm", "layernorm", "dropout"]))
    }

    @Test func digitsConfigReadsTheBundledFilesWithTraining() throws {
        let workload = try Workload.load(from: Self.root + "/config/digits.json")
        #expect(workload.data == .files(images: Self.root + "/config/../data/digits/X.npy",
                                        labels: Self.root + "/config/../data/digits/y.npy", validation: 300))
        let train = try #require(workload.train)
        #expect(train.optimizer.rule == .adam)
    }

    @Test func defaultsFillAbsentKeys() throws {
        let workload = try Self.decode(Self.minimal)
        #expect(workload.seed == 0 && workload.description == "" && workload.data == .random && workload.train == nil)
        #expect(workload.run == RunSettings() && workload.runtime == RuntimeSettings() && !workload.hasRuntimeSection)
        #expect(workload.network.weightScale == 1e-3 && workload.network.loss == .softmax)
    }

    @Test func fingerprintFollowsTheBytes() throws {
        let a = try Self.decode(Self.minimal), b = try Self.decode(Self.minimal + " ")
        #expect(a.fingerprint != b.fingerprint)
        #expect(a.fingerprint == (try Self.decode(Self.minimal)).fingerprint)
    }

    @Test func trainingSettingsTakeOptimPyDefaults() throws {
        let workload = try Self.decode(#"""
            { "network": { "input": [4], "layers": [ { "type": "affine", "units": 3 } ] },
              "train": { "optimizer": "rmsprop", "learningRate": 0.005, "epochs": 3 } }
            """#)
        let train = try #require(workload.train)
        #expect(train.optimizer == (try OptimizerSettings(rule: .rmsprop, learningRate: 0.005)))
        #expect(train.epochs == 3 && train.batchSize == 100)
    }

    @Test func unknownKeysAreRejectedAtEveryDepth() {
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "affine", "units": 3 } ] }, "epochs": 3 }"#,
                                      key: "epochs", reasonContains: "unknown key")
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "affine", "units": 3 } ], "weight_scale": 1 } }"#,
                                      key: "network.weight_scale", reasonContains: "unknown key")
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "affine", "units": 3, "unit": 3 } ] } }"#,
                                      key: "network.layers[0].unit", reasonContains: "unknown key")
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "relu" }, { "type": "affine", "units": 3, "pad": 1 } ] } }"#,
                                      key: "network.layers[1].pad", reasonContains: "not a key of a 'affine' layer")
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "affine", "units": 3 } ] }, "runtime": { "tiles": { "rows": 1 } } }"#,
                                      key: "runtime.tiles.rows", reasonContains: "unknown key")
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "affine", "units": 3 } ] }, "data": { "image": "x.npy" } }"#,
                                      key: "data.image", reasonContains: "unknown key")
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "affine", "units": 3 } ] }, "train": { "optimizer": "sgd", "beta1": 0.5 } }"#,
                                      key: "train.beta1", reasonContains: "not a hyperparameter of 'sgd'")
    }

    @Test func badValuesAreRejectedAtTheirKey() {
        let network = #""network": { "input": [4], "layers": [ { "type": "affine", "units": 3 } ] }"#
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "affine", "units": 0 } ] } }"#,
                                      key: "network.layers[0].units", reasonContains: "at least 1")
        Self.expectConfigurationError(#"{ "network": { "input": [4, 2.5], "layers": [ { "type": "affine", "units": 3 } ] } }"#,
                                      key: "network.input")
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "dropout", "keep": 1.5 }, { "type": "affine", "units": 3 } ] } }"#,
                                      key: "network.layers[0].keep", reasonContains: "(0, 1]")
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "softmax" } ] } }"#,
                                      key: "network.layers[0].type", reasonContains: "unknown layer type 'softmax'")
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "affine", "units": 3 } ], "loss": "hinge" } }"#,
                                      key: "network.loss", reasonContains: "unknown loss")
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "affine", "units": 3 } ], "weightScale": -1 } }"#,
                                      key: "network.weightScale", reasonContains: "positive")
        Self.expectConfigurationError("{ \(network), \"seed\": -1 }", key: "seed", reasonContains: "at least 0")
        Self.expectConfigurationError("{ \(network), \"run\": { \"steps\": 1.5 } }", key: "run.steps", reasonContains: "integer")
        Self.expectConfigurationError("{ \(network), \"run\": { \"batchSize\": \"big\" } }", key: "run.batchSize")
        Self.expectConfigurationError("{ \(network), \"train\": { \"optimizer\": \"adagrad\" } }",
                                      key: "train.optimizer", reasonContains: "unknown update rule 'adagrad'")
        Self.expectConfigurationError("{ \(network), \"train\": { \"optimizer\": \"adam\", \"beta2\": 1 } }",
                                      key: "train.beta2", reasonContains: "[0, 1)")
        Self.expectConfigurationError("{ \(network), \"train\": { \"learningRate\": 0.1 } }", key: "train.optimizer", reasonContains: "missing")
        Self.expectConfigurationError("{ \(network), \"data\": { \"images\": \"x.npy\" } }", key: "data.labels")
        Self.expectConfigurationError("{ \(network), \"runtime\": { \"workers\": 0 } }", key: "runtime.workers", reasonContains: "at least 1")
        Self.expectConfigurationError(#"{ "seed": 1 }"#, key: "network", reasonContains: "missing")
        Self.expectConfigurationError("[1, 2]", key: "(document)")
        Self.expectConfigurationError("{ \"network\": ", key: "(document)")
    }

    @Test func layersThatDoNotFitAreNamed() {
        Self.expectConfigurationError(#"{ "network": { "input": [4], "layers": [ { "type": "maxpool", "size": 2 }, { "type": "affine", "units": 3 } ] } }"#,
                                      key: "network.layers[0]", reasonContains: "needs images")
        Self.expectConfigurationError(#"{ "network": { "input": [3, 8, 8], "layers": [ { "type": "conv", "filters": 2, "size": 9, "stride": 2 }, { "type": "affine", "units": 3 } ] } }"#,
                                      key: "network.layers[0]", reasonContains: "from 1 to the padded input height 8")
        Self.expectConfigurationError(#"{ "network": { "input": [6, 4, 4], "layers": [ { "type": "groupnorm", "groups": 4 }, { "type": "affine", "units": 3 } ] } }"#,
                                      key: "network.layers[0]", reasonContains: "must divide the channel count C = 6")
        Self.expectConfigurationError(#"{ "network": { "input": [3, 4, 4], "layers": [ { "type": "batchnorm" }, { "type": "affine", "units": 3 } ] } }"#,
                                      key: "network.layers[0]", reasonContains: "put an affine layer before it")
        // Found by the config fuzzer's seeds (Fuzz/regressions/config/conv_pad_overflow.json):
        // 2 × pad, and the input extent plus that, trapped instead of throwing.
        Self.expectConfigurationError(#"{ "network": { "input": [1, 1, 1], "layers": [ { "type": "conv", "filters": 1, "size": 1, "pad": 4611686018427387904 }, { "type": "affine", "units": 3 } ] } }"#,
                                      key: "network.layers[0]", reasonContains: "the padded height 1 + 2·pad overflows Int")
        Self.expectConfigurationError(#"{ "network": { "input": [1, 9000000000000000000, 1], "layers": [ { "type": "conv", "filters": 1, "size": 1, "pad": 2305843009213693952 }, { "type": "affine", "units": 3 } ] } }"#,
                                      key: "network.layers[0]", reasonContains: "overflows Int")
        Self.expectConfigurationError(#"{ "network": { "input": [3, 4, 4], "layers": [ { "type": "relu" } ] } }"#,
                                      key: "network.layers", reasonContains: "end with an affine layer")
        Self.expectConfigurationError(#"{ "network": { "input": [3, 4, 4], "layers": [ ] } }"#,
                                      key: "network.layers", reasonContains: "at least one layer")
    }

    /// Data files that do not fit the network, or the split, are errors naming the config file and key.
    @Test func dataThatDoesNotFitIsNamed() throws {
        let data = #""data": { "images": "\#(Self.root)/data/digits/X.npy", "labels": "\#(Self.root)/data/digits/y.npy""#
        func key(_ json: String) -> String? {
            do { _ = try Self.decode(json).trainingData(as: Float.self) } catch let TesselError.configuration(source, key, _) where source == "test.json" {
                return key
            } catch { return "\(error)" }
            return nil
        }
        let digits = #""network": { "input": [1, 8, 8], "layers": [ { "type": "affine", "units": 10 } ] }"#
        #expect(key("{ \(digits), \(data), \"validation\": 300 } }") == nil)
        #expect(key("{ \(digits) }") == "data")
        #expect(key("{ \(digits), \(data), \"validation\": 1797 } }") == "data.validation")
        #expect(key(#"{ "network": { "input": [1, 4, 4], "layers": [ { "type": "affine", "units": 10 } ] }, \#(data) } }"#) == "data.images")
        #expect(key(#"{ "network": { "input": [1, 8, 8], "layers": [ { "type": "affine", "units": 5 } ] }, \#(data) } }"#) == "data.labels")
    }

    @Test func missingFileIsASystemErrorNamingThePath() {
        #expect {
            _ = try Workload.load(from: Self.root + "/config/no-such-config.json")
        } throws: { error in
            guard case let .system(operation, _) = error as? TesselError else { return false }
            return operation.contains("config/no-such-config.json")
        }
    }
}
