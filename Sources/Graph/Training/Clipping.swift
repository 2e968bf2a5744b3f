import Graph

/// The norm of all `tensors` together, `√(Σᵢ sum(tᵢ²))`: a scalar of their dtype (float32 when empty).
public func globalNorm(_ tensors: [Var], file: StaticString = #fileID, line: UInt = #line) -> Var {
  SourceLocation.with(SourceLocation(file: file, line: line)) {
    sqrt(tensors.map { sum(square($0)) }.reduce(constant(0, tensors.first?.dtype ?? .float32), +))
  }
}

/// The gradients scaled together so that their global norm is at most `maxNorm` (Blocks' `StepClipping`,
/// optax's `clip_by_global_norm`), and the norm before clipping.
///
/// When the norm exceeds `maxNorm`, every gradient is multiplied by `maxNorm / norm`; otherwise they are
/// unchanged. A `maxNorm` of 0 or less means no clipping: the gradients are returned as they are.
public func clipByGlobalNorm(
  _ gradients: [Var], maxNorm: Double, file: StaticString = #fileID, line: UInt = #line
) -> (gradients: [Var], norm: Var) {
  let norm = globalNorm(gradients, file: file, line: line)
  guard maxNorm > 0 else { return (gradients, norm) }
  return SourceLocation.with(SourceLocation(file: file, line: line)) {
    let scale = select(norm > maxNorm, maxNorm / norm, constant(1, norm.dtype))
    return (gradients.map { $0 * scale }, norm)
  }
}

/// Each element of `g` clamped to `[low, high]`.
public func clipByValue(
  _ g: Var, _ low: Double, _ high: Double, file: StaticString = #fileID, line: UInt = #line
) -> Var {
  precondition(low <= high, "clipByValue: low (\(low)) must not exceed high (\(high))")
  return SourceLocation.with(SourceLocation(file: file, line: line)) {
    minimum(maximum(g, constant(low, g.dtype)), constant(high, g.dtype))
  }
}
