import Graph
import SketchRuntime

/// Stabilisation: forms that stay finite where the graph as built overflows or loses everything.
///
/// - `log(sum(exp(x)))` → `m + log(sum(exp(x - m)))` with m the max (an all -inf row shifts by 0);
/// - `log(exp(a) / sum(exp(a)))` (log of a softmax) → `a - log(sum(exp(a)))`;
/// - `log(sigmoid(x))` → `-softplus(-x)`, `log(1 - sigmoid(x))` → `-softplus(x)`, so the binary
///   cross-entropy of a sigmoid is computed on the logit;
/// - products that divide by a factor and multiply by it again cancel it (``Products``): the gradients
///   of the forms above (`g / σ(x) · σ(x)(1 - σ(x))`) stay finite where σ(x) rounds to 0 or 1.
enum Stabilize {
  static let rules: [Rule] = [
    Rule("log-sum-exp", logSumExp),
    Rule("log-softmax") { e, n in
      guard let q = e.unary(n, .log), let (ea, s) = e.binary(q, .div), let a = e.unary(ea, .exp),
        let (se, axes, keep) = e.reduction(s, .sum), keep, se == ea, e.isFloat(n)
      else { return nil }
      let l = try e.make(n, .unary(.log), [s])
      _ = axes
      return try e.like(n, .binary(.sub), [a, l])
    },
    Rule("log-sigmoid") { e, n in
      guard let s = e.unary(n, .log), let x = e.unary(s, .sigmoid) else { return nil }
      let sp = try e.like(n, .unary(.softplus), [try e.like(n, .unary(.neg), [x])])
      return try e.like(n, .unary(.neg), [sp])
    },
    Rule("log-one-minus-sigmoid") { e, n in
      guard let d = e.unary(n, .log), let (one, s) = e.binary(d, .sub), e.isUniform(one, 1),
        let x = e.unary(s, .sigmoid), e.keepsShape(s, n, other: one)
      else { return nil }
      return try e.like(n, .unary(.neg), [try e.like(n, .unary(.softplus), [x])])
    },
    Rule("cancel-factors", Products.cancel),
  ]

  /// True when `x` is already shifted by a max: `a - m` where m is (a select of, a reshape of) a max.
  static func isMaxShifted(_ e: GraphEditor, _ x: Int) -> Bool {
    guard let (_, m) = e.binary(x, .sub) else { return false }
    var v = m
    for _ in 0..<4 {
      let op = e.op(v)
      if case .reduce(.max, _, _) = op { return true }
      if case .select = op {
        v = e.args(v)[1]
      } else if op.isSameBytes || isBroadcast(op) {
        v = e.args(v)[0]
      } else {
        return false
      }
    }
    return false
  }

  @Sendable static func logSumExp(_ e: GraphEditor, _ n: Int) throws -> Int? {
    guard let s = e.unary(n, .log), let (ex, axes, keep) = e.reduction(s, .sum), let x = e.unary(ex, .exp),
      e.isFloat(n), !isMaxShifted(e, x)
    else { return nil }
    let dt = e.type(n).dtype
    let m = try e.make(n, .reduce(.max, axes: axes, keepDims: true), [x])
    // Rows whose max is ±inf shift by 0, so an all -inf row gives -inf rather than NaN.
    let finite = try e.make(n, .binary(.lt), [try e.make(n, .unary(.abs), [m]), e.constant(.infinity, dt)])
    let shift = try e.make(n, .select, [finite, m, e.constant(0, dt)])
    let sum = try e.make(
      n, .reduce(.sum, axes: axes, keepDims: true),
      [try e.make(n, .unary(.exp), [try e.make(n, .binary(.sub), [x, shift])])])
    let r = try e.make(n, .binary(.add), [try e.make(n, .unary(.log), [sum]), shift])
    if keep { return e.sameType(r, n) || Verifier.sameKind(e.type(r), e.type(n)) ? r : nil }
    // Drop the reduced axes: the result's symbolic dims are x's kept axes.
    let xs = e.type(x).shape
    let kept = xs.indices.filter { !axes.contains($0) }
    let items: [ShapeItem] = kept.map { a in xs[a].fixedValue.map { .fixed($0) } ?? .dimOf(input: 1, axis: a) }
    let refs = items.contains { if case .dimOf = $0 { return true } else { return false } } ? [x] : []
    return try e.like(n, .reshape(items), [r] + refs)
  }
}
