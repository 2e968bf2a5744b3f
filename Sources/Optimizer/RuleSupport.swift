import Graph
import SketchRuntime

/// Small pattern helpers for rules: "is node n a binary f? with which operands?".
extension GraphEditor {
  /// The operands of `n` when it is the binary function `f`.
  func binary(_ n: Int, _ f: BinaryFn) -> (Int, Int)? {
    if case .binary(let g) = op(n), g == f { return (args(n)[0], args(n)[1]) }
    return nil
  }

  /// The operand of `n` when it is the unary function `f`.
  func unary(_ n: Int, _ f: UnaryFn) -> Int? {
    if case .unary(let g) = op(n), g == f { return args(n)[0] }
    return nil
  }

  /// The operand of `n` when it is a reduction `f` (with its axes and keepDims).
  func reduction(_ n: Int, _ f: ReduceFn) -> (x: Int, axes: [Int], keep: Bool)? {
    if case .reduce(let g, let axes, let keep) = op(n), g == f { return (args(n)[0], axes, keep) }
    return nil
  }

  func isFloat(_ n: Int) -> Bool { type(n).dtype.isFloatingPoint }

  /// True when every element of `n` is statically `v` (a constant, or a broadcast constant).
  func isUniform(_ n: Int, _ v: Double) -> Bool { uniformValue(n) == v }

  /// True when `a` can stand for `n`: same dtype and the same static shape with no anonymous dims
  /// (named symbols bind to one size per call, so equal names mean equal sizes).
  func sameType(_ a: Int, _ n: Int) -> Bool {
    let (x, y) = (type(a), type(n))
    return x.dtype == y.dtype && x.shape == y.shape && !x.shape.contains(.unknown)
  }

  /// Shape items (with references) reproducing the static shape of `n` from node `ref`, whose shape
  /// must be that shape: fixed dims as numbers, the others as `ref`'s axes.
  /// True when `x` can stand for `n = f(x, other)`: `other` is a scalar (so `n` has `x`'s shape at
  /// run time), or `x` and `n` have the same type.
  func keepsShape(_ x: Int, _ n: Int, other: Int) -> Bool {
    if type(other).rank == 0 { return type(x).dtype == type(n).dtype && type(x).rank == type(n).rank }
    return sameType(x, n)
  }

  func shapeItems(of n: Int, from ref: Int) -> (items: [ShapeItem], refs: [Int]) {
    var usesRef = false
    let items: [ShapeItem] = type(n).shape.enumerated().map { i, d in
      if let k = d.fixedValue { return .fixed(k) }
      usesRef = true
      return .dimOf(input: 1, axis: i)
    }
    return (items, usesRef ? [ref] : [])
  }

  /// A tensor shaped like `like` (whose shape node `n` has) filled with `v`.
  func filled(_ v: Double, like n: Int, ref: Int, location: SourceLocation) throws -> Int {
    let c = constant(v, type(n).dtype, location: location)
    if type(n).rank == 0 { return c }
    let (items, refs) = shapeItems(of: n, from: ref)
    return try add(.broadcast(items), [c] + refs, type: type(n), location: location)
  }

  func location(_ n: Int) -> SourceLocation { nodes[n].location }

  /// `op(inputs)` typed like `n` and at its location: for replacements that mean the same as `n`.
  func like(_ n: Int, _ op: Op, _ inputs: [Int]) throws -> Int {
    let t = try op.inferType(inputs.map { type($0) })  // still checks that the operands fit
    guard Verifier.sameKind(t, type(n)) else { throw OptimizerError("a rule made \(t) to replace \(type(n))") }
    return try add(op, inputs, type: type(n), location: location(n))
  }

  /// `op(inputs)` at `n`'s location, its type inferred.
  func make(_ n: Int, _ op: Op, _ inputs: [Int]) throws -> Int {
    try add(op, inputs, location: location(n))
  }
}
