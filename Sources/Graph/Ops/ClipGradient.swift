import SketchRuntime

/// `clipGradient`: the identity forward, its gradient clamped to `[low, high]` (Graves' derivative
/// clipping): type rule and gradient. Its run-time shape is its operand's, the interpreter returns
/// the operand, and the native backend points at the operand's bytes (`Op.isSameBytes`); after
/// differentiation the optimizer removes it.
enum ClipGradientRule {
  static func type(_ t: [TensorType], low: Double, high: Double) throws -> TensorType {
    try arity(t, 1)
    guard t[0].dtype == .float32 || t[0].dtype == .float64 else {
      throw TypeMismatch("clipGradient of \(t[0].dtype): only float tensors have gradients")
    }
    guard low <= high, !low.isNaN, !high.isNaN else { throw TypeMismatch("clipGradient needs low <= high, not [\(low), \(high)]") }
    return t[0]
  }

  static func pullback(_ g: Var, low: Double, high: Double) -> [Var?] {
    [minimum(maximum(g, literal(low, like: g)), literal(high, like: g))]
  }
}
