/// Whether a layer runs as in training or at test time (batch norm, dropout).
public enum Mode: String, Sendable, Codable, CaseIterable {
    /// Batch statistics, running-statistic updates, random dropout masks.
    case train
    /// Running statistics; dropout is the identity.
    case test
}
