extension Network {
    /// Class scores (count, classes) of a test-mode forward pass (running statistics, dropout
    /// as the identity) over `count` examples, computed `batchSize` at a time: `batch(rows)`
    /// returns the examples `rows` (shape `(rows.count, input…)`), and only one batch of
    /// examples and its activations is held at once, whatever `count` is. Every example's
    /// scores are those `scores(images:)` gives for a batch holding it.
    /// - Throws: `TesselError.invalidParameter` (layer `network`) when `batchSize < 1` or
    ///   `count < 0`; as `scores(images:scheduler:)` for a batch of the wrong shape; what
    ///   `batch` throws; `TesselError.outOfMemory`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func scores(count: Int, batchSize: Int, scheduler: Scheduler = .default,
                       batch: (Range<Int>) throws -> Tensor<T>) throws -> Tensor<T> {
        guard batchSize >= 1 else {
            throw TesselError.invalidParameter(component: "network", parameter: "batchSize", value: "\(batchSize)", reason: "must be at least 1")
        }
        guard count >= 0 else {
            throw TesselError.invalidParameter(component: "network", parameter: "count", value: "\(count)", reason: "must not be negative")
        }
        let classes = self.classes
        var result = try Tensor<T>.uninitialized(shape: [count, classes])
        for start in stride(from: 0, to: count, by: batchSize) {
            let rows = start..<min(count, start + batchSize)
            let images = try batch(rows)
            guard images.rank >= 1, images.shape[0] == rows.count else {
                throw TesselError.shapeMismatch(component: "network", argument: "images", expected: "(\(rows.count), …): rows \(rows)", actual: images.shape)
            }
            let scores = try self.scores(images: images, scheduler: scheduler)
            scores.withUnsafeBufferPointer { source in
                result.withUnsafeMutableBufferPointer { destination in
                    (destination.baseAddress! + start * classes).update(from: source.baseAddress!, count: rows.count * classes)
                }
            }
        }
        return result
    }

    /// `scores(count:batchSize:scheduler:batch:)` over the rows of `images` (N, input…).
    /// - Throws: as that function.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func scores(images: Tensor<T>, batchSize: Int, scheduler: Scheduler = .default) throws -> Tensor<T> {
        try validate(images: images, labels: nil)
        return try scores(count: images.shape[0], batchSize: batchSize, scheduler: scheduler) { try images.rows($0) }
    }
}
