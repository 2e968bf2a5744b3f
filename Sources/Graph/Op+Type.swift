import SketchRuntime

/// The static type rule of every op, dispatched to the op's own file under `Ops/` (where its run-time
/// shape rule, gradient and reference kernel are too); the switch is exhaustive, so a new op does not
/// compile until it has a type rule.
extension Op {
  func resultType(_ inputs: [Var]) -> Result<TensorType, TypeMismatch> {
    Result { try inferType(inputs.map(\.type)) }.mapError { $0 as! TypeMismatch }
  }

  /// The static type of this op's result for operands of types `t`; throws ``TypeMismatch``.
  /// (Passes use it to type the nodes they make.)
  public func inferType(_ t: [TensorType]) throws -> TensorType {
    switch self {
    case .input, .constant, .shared: return try LeafRule.leafType()
    case .scan, .tupleElement: throw TypeMismatch("scan nodes are built by scan()")
    case .fused(let k): return try FusedRule.type(t, k)
    case .gemm(let g): return try MatmulRule.gemmType(t, g)
    case .unary(let f): return try ElementwiseRule.unaryType(t, f)
    case .binary(let f): return try ElementwiseRule.binaryType(t, f)
    case .select: return try ElementwiseRule.selectType(t)
    case .cast(let d): return try ElementwiseRule.castType(t, d)
    case .reduce(_, let axes, let keep): return try ReduceRule.type(t, axes: axes, keepDims: keep)
    case .argmax(let axis, let keep): return try ReduceRule.argmaxType(t, axis: axis, keepDims: keep)
    case .size(let axes, let d): return try ReduceRule.sizeType(t, axes: axes, dtype: d)
    case .matmul(let ta, let tb): return try MatmulRule.type(t, transposeA: ta, transposeB: tb)
    case .transpose(let perm): return try TransposeRule.type(t, perm)
    case .reshape(let items): return try ReshapeRule.type(t, items)
    case .broadcast(let items): return try BroadcastRule.type(t, items)
    case .slice(let ranges): return try SliceRule.type(t, ranges)
    case .updateSlice(let ranges, _): return try SliceRule.updateType(t, ranges)
    case .concat(let axis): return try ConcatRule.type(t, axis: axis)
    case .concatPart(_, let index): return try ConcatRule.partType(t, index: index)
    case .take(let axis): return try TakeRule.type(t, axis: axis)
    case .takeGrad: return try TakeRule.gradType(t)
    case .takeAlong(let axis): return try TakeAlongRule.type(t, axis: axis)
    case .takeAlongGrad: return try TakeAlongRule.gradType(t)
    case .oneHot(let depth, let d): return try OneHotRule.type(t, depth: depth, dtype: d)
    case .arange(let d, let n): return try ArangeRule.type(t, dtype: d, length: n)
    case .cumsum(let axis, _): return try CumsumRule.type(t, axis: axis)
    case .stopGradient: return try LeafRule.stopGradientType(t)
    case .clipGradient(let lo, let hi): return try ClipGradientRule.type(t, low: lo, high: hi)
    case .random(let r): return try RandomRule.type(t, r)
    case .foldKey: return try RandomRule.foldKeyType(t)
    }
  }

  static func shapeText(_ dims: [Dim]) -> String { "[\(dims.map(\.description).joined(separator: ","))]" }
}

/// Why an op's operands do not fit (completed into a ``GraphError`` by the builder).
public struct TypeMismatch: Error, CustomStringConvertible {
  /// What does not fit, in words (the ``GraphError/message`` it becomes).
  public var message: String
  init(_ m: String) { message = m }
  /// The message.
  public var description: String { message }
}

/// Whether two dims can be the same size.
func compatible(_ a: Dim, _ b: Dim) -> Bool {
  if case .fixed(let x) = a, case .fixed(let y) = b { return x == y }
  return true
}

/// Of two compatible dims, the more informative one.
func preferNamed(_ a: Dim, _ b: Dim) -> Dim {
  if a.fixedValue != nil { return a }
  if b.fixedValue != nil { return b }
  return a.isAnonymous ? b : a
}

/// numpy broadcasting of static shapes, where only dims statically 1 stretch.
func broadcastShapes(_ a: [Dim], _ b: [Dim]) throws -> [Dim] {
  let r = max(a.count, b.count)
  let pa = [Dim](repeating: 1, count: r - a.count) + a
  let pb = [Dim](repeating: 1, count: r - b.count) + b
  return try (0..<r).map { i in
    let (x, y) = (pa[i], pb[i])
    if x == y { return x }
    if x.isOne { return y }
    if y.isOne { return x }
    guard compatible(x, y) else {
      throw TypeMismatch("shapes \(Op.shapeText(a)) and \(Op.shapeText(b)) do not broadcast (axis \(i): \(x) vs \(y))")
    }
    return preferNamed(x, y)
  }
}
