extension LayerWorkload {
    /// Every workload, in the order a CS231n network meets its layers.
    public static let all: [LayerWorkload] = [
        .relu,
    ]

    /// The workload called `name`, or nil.
    public static func named(_ name: String) -> LayerWorkload? {
        all.first { $0.name == name }
    }
}
