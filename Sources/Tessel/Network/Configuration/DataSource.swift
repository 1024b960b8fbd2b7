/// Where the examples of a workload come from.
///
/// In a config file: the `data` object. Without it (or with `{}`), the data are random.
/// `{ "images": "../data/digits/X.npy", "labels": "../data/digits/y.npy", "validation": 300 }`
/// reads `.npy` files; relative paths are relative to the config file's folder.
public enum DataSource: Sendable, Equatable {
    /// Standard-normal images and uniformly drawn labels, generated from the workload's seed.
    case random
    /// A float32 or float64 `.npy` file of images (N, input…) and an int32 or int64 `.npy` file
    /// of N labels; `validation` examples, drawn with the workload's seed, are held out of training.
    case files(images: String, labels: String, validation: Int)

    /// This source with relative file paths taken relative to `folder` (no change for `random`
    /// or absolute paths; an empty `folder` is the working directory).
    public func resolvingPaths(relativeTo folder: String) -> DataSource {
        guard case let .files(images, labels, validation) = self else { return self }
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || folder.isEmpty ? path : (folder.hasSuffix("/") ? folder : folder + "/") + path
        }
        return .files(images: resolve(images), labels: resolve(labels), validation: validation)
    }
}

extension DataSource: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case images, labels, validation
    }

    /// Decodes the `data` object of a config file.
    /// - Throws: `DecodingError` at the key: `images` and `labels` must come together (a
    ///   missing one is named), `validation` (default 0) is an integer ≥ 0 and needs files.
    public init(from decoder: any Decoder) throws {
        let keys = try decoder.strictContainer(keyedBy: CodingKeys.self)
        guard keys.contains(.images) || keys.contains(.labels) else {
            if keys.contains(.validation) {
                throw DecodingError.dataCorruptedError(forKey: .validation, in: keys, debugDescription: "needs 'images' and 'labels' files to hold examples out of")
            }
            self = .random
            return
        }
        self = .files(images: try keys.decode(String.self, forKey: .images), labels: try keys.decode(String.self, forKey: .labels),
                      validation: try keys.integer(.validation, default: 0, atLeast: 0))
    }
}
