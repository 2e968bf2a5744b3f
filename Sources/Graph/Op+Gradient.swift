import SketchRuntime

/// Gradient rules: for each primitive, the gradients of its inputs given the gradient `g` of its output
/// (each op's own rule is in its file under `Ops/`; a loop's is `ScanGradient.swift`).
extension Var {
  /// One entry per input; nil where no gradient flows (integer inputs, piecewise-constant ops, keys).
  public func pullback(_ g: Var) -> [Var?] {
    SourceLocation.override(location) { pullbackRule(g) }
  }

  private func pullbackRule(_ g: Var) -> [Var?] {
    switch op {
    case .input, .constant, .shared: return []
    case .unary(let f): return ElementwiseRule.unaryPullback(self, f, g)
    case .binary(let f): return ElementwiseRule.binaryPullback(self, f, g)
    case .select: return ElementwiseRule.selectPullback(self, g)
    case .cast: return ElementwiseRule.castPullback(self, g)
    case .reduce(let f, let axes, let keep): return ReduceRule.pullback(self, f, axes: axes, keepDims: keep, g)
    case .argmax, .size, .stopGradient, .random, .foldKey, .tupleElement:
      return inputs.map { _ in nil }
    case .scan:
      return inputs.map { _ in nil }  // a loop's gradient is `scanPullback` (Backprop.swift), by output
    case .fused, .gemm:
      // Only the optimizer makes these, after differentiation.
      let message = "\(op.name) is not differentiable after optimization: differentiate before compiling"
      return inputs.map { _ in failed("grad", message, [self], at: location) }
    case .matmul(let ta, let tb): return MatmulRule.pullback(inputs[0], inputs[1], g, transposeA: ta, transposeB: tb)
    case .transpose(let p): return TransposeRule.pullback(g, p)
    case .reshape: return ReshapeRule.pullback(self, g)
    case .broadcast: return BroadcastRule.pullback(self, g)
    case .slice(let ranges): return SliceRule.pullback(self, ranges, g)
    case .updateSlice(let ranges, let acc): return SliceRule.updatePullback(self, ranges, accumulate: acc, g)
    case .concat(let axis): return ConcatRule.pullback(self, axis: axis, g)
    case .concatPart(let axis, let index): return ConcatRule.partPullback(self, axis: axis, index: index, g)
    case .take(let axis): return TakeRule.pullback(self, axis: axis, g)
    case .takeGrad(let axis): return TakeRule.gradPullback(self, axis: axis, g)
    case .takeAlong(let axis): return TakeAlongRule.pullback(self, axis: axis, g)
    case .clipGradient(let lo, let hi): return ClipGradientRule.pullback(g, low: lo, high: hi)
    case .takeAlongGrad(let axis): return TakeAlongRule.gradPullback(self, axis: axis, g)
    case .oneHot: return OneHotRule.pullback()
    case .arange: return ArangeRule.pullback(self)
    case .cumsum(let axis, let reverse): return CumsumRule.pullback(self, axis: axis, reverse: reverse, g)
    }
  }
}
