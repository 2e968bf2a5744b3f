import Codegen

/// The gradient step rules of the original (Blocks), as `--step-method` names them: adam, rmsprop,
/// adagrad, adadelta, scale; and Graves' RMSprop with momentum (graves-rmsprop).
enum StepMethod: String, CaseIterable, Codable {
  case adam, rmsprop, adagrad, adadelta, scale
  /// Graves (2013) eqs. 38-41 with his constants.
  case gravesRMSprop = "graves-rmsprop"

  /// Graves' learning rate ג (arXiv:1308.0850, section 4), which `--graves` uses unless `--lr` is given.
  static let gravesLearningRate = 1e-4

  /// The library's rule with the original's constants (adadelta has no learning rate).
  func rule(learningRate lr: Double) -> StepRule {
    switch self {
    case .adam: return .adam(learningRate: lr)
    // Blocks' RMSProp: decay 0.95, the root mean square floored at 1/max_scaling (1e-5).
    case .rmsprop: return .rmsprop(learningRate: lr, decay: 0.95, denominator: .floored(maxScaling: 1e5))
    case .adagrad: return .adagrad(learningRate: lr, epsilon: 1e-6)
    // Blocks' AdaDelta: decay 0.95, epsilon 1e-6.
    case .adadelta: return .adadelta(decay: 0.95, epsilon: 1e-6)
    case .scale: return .scale(learningRate: lr)
    // Graves' constants: decay ℵ 0.95, momentum ℶ 0.9, epsilon ℸ 1e-4 (and ג 1e-4 with --graves).
    case .gravesRMSprop: return .gravesRMSprop(learningRate: lr, decay: 0.95, momentum: 0.9, epsilon: 1e-4)
    }
  }
}
