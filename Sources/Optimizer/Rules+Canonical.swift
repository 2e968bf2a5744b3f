import Graph
import SketchRuntime

/// Canonical forms: the graph as differentiation left it, put in one standard shape so that later
/// rules need to look for one pattern only and equal expressions merge.
enum Canonical {
  static let rules: [Rule] = [
    // Gradients are built: stopGradient and clipGradient are the identity from now on.
    Rule("remove-stop-gradient") { e, n in
      guard case .stopGradient = e.op(n) else { return nil }
      return e.args(n)[0]
    },
    Rule("remove-clip-gradient") { e, n in
      guard case .clipGradient = e.op(n) else { return nil }
      return e.args(n)[0]
    },
    // A commutative op takes a constant as its second operand, and a*b merges with an existing b*a.
    Rule("commutative-order") { e, n in
      guard case .binary(let f) = e.op(n), f.isCommutative else { return nil }
      let (a, b) = (e.args(n)[0], e.args(n)[1])
      guard a != b else { return nil }
      if let m = e.existing(.binary(f), [b, a]), m != n { return m }
      if e.scalarConstant(a) != nil && e.scalarConstant(b) == nil { return try e.like(n, .binary(f), [b, a]) }
      return nil
    },
    // x + (-y) → x - y and (-x) + y → y - x; x - (-y) → x + y.
    Rule("add-neg") { e, n in
      if let (x, y) = e.binary(n, .add) {
        if let z = e.unary(y, .neg) { return try e.like(n, .binary(.sub), [x, z]) }
        if let z = e.unary(x, .neg) { return try e.like(n, .binary(.sub), [y, z]) }
      }
      if let (x, y) = e.binary(n, .sub), let z = e.unary(y, .neg) { return try e.like(n, .binary(.add), [x, z]) }
      return nil
    },
    // x * -1 → -x.
    Rule("mul-minus-one") { e, n in
      guard let (x, c) = e.binary(n, .mul), e.isFloat(n), e.isUniform(c, -1), e.keepsShape(x, n, other: c) else {
        return nil
      }
      return try e.like(n, .unary(.neg), [x])
    },
  ]
}

/// Constant folding: a node whose inputs are all constants becomes a constant (evaluated with the
/// interpreter's kernels, so the value is exactly what the run would compute).
enum ConstantFolding {
  /// Results larger than this many elements (and larger than their inputs) stay nodes: folding them
  /// would trade a cheap node for a big constant.
  static let maxFoldedElements = 1024

  static let rules: [Rule] = [
    Rule("fold") { e, n in
      let op = e.op(n)
      let ins = e.args(n)
      guard !ins.isEmpty else { return nil }
      if op.isLeaf || isTuple(op) { return nil }
      if case .tupleElement = op { return nil }
      if case .random = op { return nil }
      if case .fused(let k) = op, k.outputs.count > 1 { return nil }
      var values: [Tensor] = []
      for i in ins {
        guard case .constant(let t) = e.op(i) else { return nil }
        values.append(t)
      }
      if let c = e.type(n).fixedCount, c > maxFoldedElements, c > values.map(\.count).reduce(0, +) { return nil }
      // An op that fails on these constants fails when the function runs, as it would unfolded.
      let node = FunctionGraph.Node(op: op, inputs: ins, type: e.type(n), location: e.location(n))
      guard let r = try? Interpreter.evaluate(node, values, inputTypes: ins.map { e.type($0) }),
        r.dtype == e.type(n).dtype, e.type(n).accepts(r.shape)
      else { return nil }
      return try e.add(.constant(r), [], type: TensorType(r.dtype, r.shape.map { .fixed($0) }), location: e.location(n))
    }
  ]
}
