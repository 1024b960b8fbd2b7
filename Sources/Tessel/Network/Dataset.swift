/// Labelled examples held in memory: images (N, example…) and N class labels.
public struct Dataset<T: TesselScalar>: Sendable {
    /// The examples, batch dimension first.
    public let images: Tensor<T>
    /// The class of each example.
    public let labels: [Int]

    /// A data set of `images` and their `labels`.
    /// - Throws: `TesselError.shapeMismatch` (layer `dataset`) when `images` has rank < 2 or
    ///   its first dimension is not `labels.count`.
    public init(images: Tensor<T>, labels: [Int]) throws {
        guard images.rank >= 2, images.shape[0] == labels.count else {
            throw TesselError.shapeMismatch(component: "dataset", argument: "images", expected: "(\(labels.count), …) for \(labels.count) labels", actual: images.shape)
        }
        self.images = images
        self.labels = labels
    }

    /// The number of examples.
    public var count: Int { labels.count }

    /// The shape of one example.
    public var exampleShape: [Int] { Array(images.shape.dropFirst()) }

    /// `count` standard-normal examples of `exampleShape` with labels uniform in `0 ..< classes`,
    /// the same bits for the same seed.
    /// - Throws: `TesselError.invalidShape` for a bad shape.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func random(count: Int, exampleShape: [Int], classes: Int, seed: UInt64) throws -> Dataset {
        let images: Tensor<T> = try RandomTensor.normal(shape: [count] + exampleShape, scale: 1, seed: RandomTensor.seed(seed, stream: 1 << 32))
        return try Dataset(images: images, labels: RandomTensor.integers(count: count, below: classes, seed: RandomTensor.seed(seed, stream: 1 << 33)))
    }

    /// Reads images from a float32 or float64 `.npy` file and labels from an int32 or int64 one.
    /// Unlike the layers, which pass NaN and ±∞ through, a data file must hold at least one
    /// example and finite values only: training on such data is always a mistake.
    /// - Throws: as `NPY.read(from:)`; `TesselError.npy` naming the images file when it holds
    ///   no example or a NaN or ±∞ (the message gives the first one's position), and naming
    ///   the labels file when the counts differ.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func load(images: String, labels: String) throws -> Dataset {
        let tensor = try NPY.readTensor(from: images, as: T.self), classes = try NPY.readLabels(from: labels)
        guard tensor.rank >= 2, tensor.shape[0] == classes.count else {
            throw TesselError.npy(path: labels, reason: "\(classes.count) labels for images of shape \(Shape.describe(tensor.shape)) in \(images)")
        }
        guard tensor.shape[0] > 0 else {
            throw TesselError.npy(path: images, reason: "holds no examples (shape \(Shape.describe(tensor.shape)))")
        }
        if let problem = tensor.nonFiniteDescription() {
            throw TesselError.npy(path: images, reason: "\(problem): examples must be finite")
        }
        return try Dataset(images: tensor, labels: classes)
    }

    /// The examples at `indices`, in that order, as a new data set.
    /// - Throws: `TesselError.invalidParameter` (layer `dataset`) for an index outside
    ///   `0 ..< count`; `TesselError.outOfMemory` when the batch cannot be allocated.
    public func subset(_ indices: some Collection<Int>) throws -> Dataset {
        if let bad = indices.first(where: { !(0..<count).contains($0) }) {
            throw TesselError.invalidParameter(component: "dataset", parameter: "indices", value: "\(bad)", reason: "an index must lie in 0..<\(count)")
        }
        let exampleSize = images.count / max(count, 1)
        // Every row is written below: no fill first.
        var batch = try Tensor<T>.uninitialized(shape: [indices.count] + exampleShape)
        images.withUnsafeBufferPointer { source in
            batch.withUnsafeMutableBufferPointer { destination in
                for (row, index) in indices.enumerated() {
                    (destination.baseAddress! + row * exampleSize).update(from: source.baseAddress! + index * exampleSize, count: exampleSize)
                }
            }
        }
        return try Dataset(images: batch, labels: indices.map { labels[$0] })
    }

    /// Splits off `validation` examples drawn at random with `seed`: the validation set takes
    /// the first `validation` indices of a seeded permutation, the training set the rest,
    /// each in increasing index order.
    /// - Throws: `TesselError.invalidParameter` (layer `dataset`) unless 0 ≤ `validation` < `count`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func split(validation: Int, seed: UInt64) throws -> (train: Dataset, validation: Dataset) {
        guard validation >= 0, validation < count else {
            throw TesselError.invalidParameter(component: "dataset", parameter: "validation", value: "\(validation)",
                                               reason: "must lie in 0 ..< \(count), the number of examples")
        }
        let order = RandomTensor.permutation(count: count, seed: RandomTensor.seed(seed, stream: 1 << 34))
        return (try subset(order[validation...].sorted()), try subset(order[..<validation].sorted()))
    }
}
