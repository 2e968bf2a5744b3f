import Graph
import SketchRuntime

/// Algebraic simplification: identities that remove work. Each rule keeps the node's static type;
/// where an identity would change the shape (x * 1 where the 1 broadcasts x), it does not fire.
///
/// `x - x → 0` and `exp(log x) → x` assume what Theano assumes: x is finite (inf - inf is NaN) and,
/// for the latter, positive.
enum Simplify {
  static let rules: [Rule] = [
    Rule("mul-one") { e, n in
      guard let (a, b) = e.binary(n, .mul) else { return nil }
      if e.isUniform(b, 1), e.keepsShape(a, n, other: b) { return a }
      if e.isUniform(a, 1), e.keepsShape(b, n, other: a) { return b }
      return nil
    },
    Rule("div-one") { e, n in
      guard let (a, b) = e.binary(n, .div), e.isFloat(n), e.isUniform(b, 1), e.keepsShape(a, n, other: b) else {
        return nil
      }
      return a
    },
    Rule("add-zero") { e, n in
      if let (a, b) = e.binary(n, .add) {
        if e.isUniform(b, 0), e.keepsShape(a, n, other: b) { return a }
        if e.isUniform(a, 0), e.keepsShape(b, n, other: a) { return b }
      }
      if let (a, b) = e.binary(n, .sub) {
        if e.isUniform(b, 0), e.keepsShape(a, n, other: b) { return a }
        if e.isUniform(a, 0), e.keepsShape(b, n, other: a), e.type(n).dtype != .bool {
          return try e.like(n, .unary(.neg), [b])
        }
      }
      return nil
    },
    Rule("sub-self") { e, n in
      guard let (a, b) = e.binary(n, .sub), a == b, e.type(a) == e.type(n) else { return nil }
      return try e.filled(0, like: n, ref: a, location: e.location(n))
    },
    Rule("double-neg") { e, n in
      guard let x = e.unary(n, .neg), let y = e.unary(x, .neg) else { return nil }
      return y
    },
    Rule("exp-log") { e, n in
      guard let x = e.unary(n, .exp), let y = e.unary(x, .log) else { return nil }
      return y
    },
    Rule("log-exp") { e, n in
      guard let x = e.unary(n, .log), let y = e.unary(x, .exp) else { return nil }
      return y
    },
    Rule("select-same") { e, n in
      guard case .select = e.op(n), e.args(n)[1] == e.args(n)[2], e.sameType(e.args(n)[1], n) else { return nil }
      return e.args(n)[1]
    },
    Rule("transpose-transpose") { e, n in
      guard case .transpose(let q) = e.op(n), case .transpose(let p) = e.op(e.args(n)[0]) else { return nil }
      let x = e.args(e.args(n)[0])[0]
      let r = q.map { p[$0] }
      if r == Array(0..<r.count) { return x }
      return try e.like(n, .transpose(r), [x])
    },
    // reshape(reshape(x, a), b) → reshape(x, b): the outer items and references stay as they are.
    Rule("reshape-reshape") { e, n in
      guard case .reshape(let items) = e.op(n), case .reshape = e.op(e.args(n)[0]) else { return nil }
      let x = e.args(e.args(n)[0])[0]
      return try e.like(n, .reshape(items), [x] + e.args(n).dropFirst())
    },
    Rule("identity-reshape") { e, n in
      guard case .reshape = e.op(n), e.sameType(e.args(n)[0], n) else { return nil }
      return e.args(n)[0]
    },
    Rule("identity-broadcast") { e, n in
      guard case .broadcast = e.op(n), e.sameType(e.args(n)[0], n) else { return nil }
      return e.args(n)[0]
    },
    Rule("sum-of-broadcast", sumOfBroadcast),
    // incSlice(0, r, a) + x → incSlice(x, r, a): the gradient of a slice added to other gradients.
    Rule("add-into-slice") { e, n in
      guard let (p, q) = e.binary(n, .add) else { return nil }
      for (s, x) in [(p, q), (q, p)] {
        guard case .updateSlice(let r, true) = e.op(s), e.isUniform(e.arg(s, 0), 0),
          e.type(s).shape == e.type(x).shape, e.type(x).shape == e.type(n).shape
        else { continue }
        return try e.like(n, .updateSlice(r, accumulate: true), [x, e.arg(s, 1)])
      }
      return nil
    },
    Rule("slices-to-concat", slicesToConcat),
  ]

  /// incSlice(...incSlice(0, r1, a1)..., rk, ak) where the ranges tile one axis → concat(a...).
  @Sendable static func slicesToConcat(_ e: GraphEditor, _ n: Int) throws -> Int? {
    guard case .updateSlice = e.op(n) else { return nil }
    var parts: [(start: Int, count: Int, value: Int)] = []
    var axis: Int? = nil
    var v = n
    let shape = e.type(n).shape
    while case .updateSlice(let ranges, true) = e.op(v) {
      // One axis sliced with step 1, every other axis whole.
      let cut = ranges.indices.filter { !ranges[$0].isFull }
      guard cut.count == 1, ranges[cut[0]].step == 1, !ranges[cut[0]].isIndex, axis == nil || axis == cut[0],
        let size = shape[cut[0]].fixedValue, let (start, count) = ranges[cut[0]].resolve(size)
      else { return nil }
      axis = cut[0]
      let a = e.arg(v, 1)
      var want = shape
      want[cut[0]] = .fixed(count)
      guard e.type(a).shape == want else { return nil }
      parts.append((start, count, a))
      v = e.arg(v, 0)
    }
    guard let axis, parts.count >= 2, e.isUniform(v, 0), e.type(v).shape == shape else { return nil }
    parts.sort { $0.start < $1.start }
    var next = 0
    for p in parts {
      guard p.start == next else { return nil }
      next += p.count
    }
    guard next == shape[axis].fixedValue else { return nil }
    return try e.like(n, .concat(axis: axis), parts.map(\.value))
  }

  /// sum(broadcast(x), axes) → x · (the number of copies), when the sum is over exactly the axes the
  /// broadcast added or stretched (the gradients of fills and of broadcast parameters).
  @Sendable static func sumOfBroadcast(_ e: GraphEditor, _ n: Int) throws -> Int? {
    guard let (b, axes, keep) = e.reduction(n, .sum), case .broadcast(let items) = e.op(b), e.isFloat(n) else {
      return nil
    }
    let x = e.args(b)[0]
    let xs = e.type(x).shape
    let R = items.count
    let pad = R - xs.count
    // The axes the broadcast made: leading new axes, and axes of x that are statically 1 but not in the target.
    var made: [Int] = []
    for a in 0..<R {
      if a < pad {
        made.append(a)
        continue
      }
      if xs[a - pad].isOne && e.type(b).shape[a] != .fixed(1) { made.append(a) }
    }
    guard made == axes else { return nil }
    // The count: fixed target sizes multiplied, and each symbolic one read from its reference at run time.
    var factor = 1.0
    var counts: [Int] = []
    for a in axes {
      switch items[a] {
      case .fixed(let k): factor *= Double(k)
      case .dimOf(let i, let axis):
        counts.append(try e.make(n, .size(axes: [axis], dtype: e.type(n).dtype), [e.args(b)[i]]))
      case .infer: return nil
      }
    }
    // x in the sum's result shape: drop (or keep as 1) the summed axes.
    var v = x
    let target = e.type(n)
    if e.type(x).shape != target.shape {
      guard target.fixedCount != nil || !target.shape.contains(.unknown) else { return nil }
      var refItems: [ShapeItem] = []
      var refs: [Int] = []
      for (i, d) in target.shape.enumerated() {
        if let k = d.fixedValue {
          refItems.append(.fixed(k))
          continue
        }
        // A symbolic dim of the result is a kept axis of the broadcast's target.
        let kept = (0..<R).filter { !axes.contains($0) || keep }
        guard i < kept.count, case .dimOf(let ri, let ra) = items[kept[i]] else { return nil }
        let ref = e.args(b)[ri]
        if let k = refs.firstIndex(of: ref) {
          refItems.append(.dimOf(input: k + 1, axis: ra))
          continue
        }
        refs.append(ref)
        refItems.append(.dimOf(input: refs.count, axis: ra))
      }
      v = try e.make(n, .reshape(refItems), [x] + refs)
      guard e.type(v).shape.count == target.rank else { return nil }
    }
    var r = v
    if factor != 1 { r = try e.make(n, .binary(.mul), [r, e.constant(factor, target.dtype, location: e.location(n))]) }
    for c in counts { r = try e.make(n, .binary(.mul), [r, c]) }
    guard Verifier.sameKind(e.type(r), target) else { return nil }
    return r
  }
}
