/// The loss at the end of a network, over class scores of shape (N, C) and labels in 0 ..< C.
public enum LossFunction: String, Sendable, Equatable, CaseIterable, Codable {
    /// Softmax cross-entropy (CS231n's `softmax_loss`).
    case softmax
    /// Multiclass SVM hinge loss with margin 1 (CS231n's `svm_loss`).
    case svm
}
