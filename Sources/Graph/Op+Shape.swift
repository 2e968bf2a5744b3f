import SketchRuntime

/// The run-time shape rule of every op: the shape of a node's result for operands of concrete shapes.
///
/// One rule, used by the interpreter (which checks every kernel's result against it), by the native
/// backend's size plan and by the optimizer's memory plan (``ConcreteShapes``). The static type rule
/// (`Op+Type.swift`) says the same on symbolic dims; this one also applies Theano's broadcasting rule
/// to the run-time sizes (a dim stretches only where it is declared 1).
extension Op {
  /// The result shape for operands of shapes `ins` whose declared types are `types`. Leaves and loops
  /// get theirs from the graph walker (an input's argument, a loop's body); for a multi-output kernel
  /// this is the shape of each output.
  public func resultShape(_ ins: [[Int]], types: [TensorType]) throws -> [Int] {
    switch self {
    case .input(let name): throw RuntimeError("input '\(name)': its shape is its argument's")
    case .scan: throw RuntimeError("a loop's output shapes come from its body")
    case .tupleElement: throw RuntimeError("an output of a multi-output node has the shape that node gives it")
    case .constant(let t): return t.shape
    case .shared(let v): return v.type.shape.map { $0.fixedValue ?? 0 }
    case .unary, .cast, .stopGradient: return ins[0]
    case .binary, .select, .fused: return try Shapes.broadcast(ins, types: types)
    case .reduce(_, let axes, let keep):
      return ins[0].enumerated().compactMap { axes.contains($0.offset) ? (keep ? 1 : nil) : $0.element }
    case .argmax(let axis, let keep):
      return ins[0].enumerated().compactMap { $0.offset == axis ? (keep ? 1 : nil) : $0.element }
    case .matmul(let ta, let tb):
      let (a, b) = (ins[0], ins[1])
      let (m, ka) = ta ? (a[a.count - 1], a[a.count - 2]) : (a[a.count - 2], a[a.count - 1])
      let (kb, n) = tb ? (b[b.count - 1], b[b.count - 2]) : (b[b.count - 2], b[b.count - 1])
      guard ka == kb else { throw RuntimeError("inner dimensions differ: \(a) and \(b)") }
      if b.count > 2 && Array(b.dropLast(2)) != Array(a.dropLast(2)) {
        throw RuntimeError("batch dimensions differ: \(a) and \(b)")
      }
      return Array(a.dropLast(2)) + [m, n]
    case .gemm(let g):
      let (a, b) = (ins[0], ins[1])
      let (m, ka) = g.transposeA ? (a[1], a[0]) : (a[0], a[1])
      let (kb, n) = g.transposeB ? (b[1], b[0]) : (b[0], b[1])
      guard ka == kb else { throw RuntimeError("inner dimensions differ: \(a) and \(b)") }
      if ins.count > 2 {
        _ = try Shapes.broadcast(
          [[m, n], ins[2]], types: [TensorType(types[0].dtype, [.fixed(m), .fixed(n)]), types[2]])
      }
      return [m, n]
    case .transpose(let p): return p.map { ins[0][$0] }
    case .reshape(let items):
      let count = ins[0].reduce(1, *)
      let s = try Shapes.resolve(items, ins, count: count)
      guard s.reduce(1, *) == count else { throw RuntimeError("cannot reshape \(ins[0]) (\(count) elements) to \(s)") }
      return s
    case .broadcast(let items):
      let s = try Shapes.resolve(items, ins, count: nil)
      let x = ins[0]
      guard x.count <= s.count else { throw RuntimeError("cannot broadcast \(x) to \(s)") }
      for (i, d) in x.enumerated() where d != s[s.count - x.count + i] {
        guard d == 1 else { throw RuntimeError("cannot broadcast \(x) to \(s)") }
        guard types[0].shape[i].isOne else {
          throw RuntimeError(
            "an operand of type \(types[0]) has size 1 on axis \(i) at run time and would broadcast to \(s[s.count - x.count + i]); only dims declared as 1 broadcast"
          )
        }
      }
      return s
    case .slice(let ranges):
      return try Shapes.sliceStarts(ranges, ins[0]).kept
    case .updateSlice(let ranges, _):
      let kept = try Shapes.sliceStarts(ranges, ins[0]).kept
      let y = ins[1]
      guard y.count <= kept.count,
        y.enumerated().allSatisfy({ $0.element == 1 || $0.element == kept[kept.count - y.count + $0.offset] })
      else { throw RuntimeError("a value of shape \(y) does not fit the slice \(kept)") }
      return ins[0]
    case .concat(let axis):
      var s = ins[0]
      s[axis] = ins.map { $0[axis] }.reduce(0, +)
      for x in ins
      where x.count != s.count || x.enumerated().contains(where: { $0.offset != axis && $0.element != s[$0.offset] }) {
        throw RuntimeError("cannot concatenate \(ins) along axis \(axis)")
      }
      return s
    case .concatPart(_, let index): return ins[1 + index]
    case .take(let axis): return Array(ins[0][..<axis]) + ins[1] + Array(ins[0][(axis + 1)...])
    case .takeGrad: return ins[0]
    case .size: return []
    case .foldKey: return [2]
    case .random(let r):
      switch r {
      case .uniform(_, let items), .normal(_, let items): return try Shapes.resolve(items, ins, count: nil)
      case .bernoulli: return ins[1]
      case .categorical: return Array(ins[1].dropLast())
      }
    }
  }
}

/// The shape arithmetic the rule above is made of.
public enum Shapes {
  /// numpy broadcasting of `shapes`, with Theano's rule: a dim stretches only where its operand's
  /// declared type (`types`, one per shape) says 1.
  public static func broadcast(_ shapes: [[Int]], types: [TensorType]) throws -> [Int] {
    let r = shapes.map(\.count).max() ?? 0
    var out = [Int](repeating: 1, count: r)
    for s in shapes {
      for (i, d) in s.enumerated() {
        let j = r - s.count + i
        if d == out[j] || d == 1 { continue }
        guard out[j] == 1 else {
          throw RuntimeError("shapes \(shapes.map { "\($0)" }.joined(separator: " and ")) do not broadcast")
        }
        out[j] = d
      }
    }
    // Theano's rule, which gradients rely on: only dims that are statically 1 may stretch.
    for (s, t) in zip(shapes, types) {
      for (i, d) in s.enumerated() where d == 1 && out[r - s.count + i] != 1 && !t.shape[i].isOne {
        throw RuntimeError(
          "an operand of type \(t) has size 1 on axis \(i) at run time and would broadcast to \(out[r - s.count + i]); only dims declared as 1 broadcast (declare the dim as 1, or use broadcast(_:to:))"
        )
      }
    }
    return out
  }

  /// The dims of a reshape, broadcast or random draw: fixed sizes, dims of the operands (`.dimOf(i,
  /// axis)` reads `ins[i]`), and at most one -1 inferred from `count` elements.
  public static func resolve(_ items: [ShapeItem], _ ins: [[Int]], count: Int?) throws -> [Int] {
    var dims = items.map { item -> Int in
      switch item {
      case .fixed(let n): return n
      case .infer: return -1
      case .dimOf(let i, let a): return ins[i][a]
      }
    }
    if let k = dims.firstIndex(of: -1) {
      let known = dims.filter { $0 >= 0 }.reduce(1, *)
      guard let count, known > 0, count % known == 0 else {
        throw RuntimeError("cannot infer the -1 dimension of \(dims) for \(count ?? 0) elements")
      }
      dims[k] = count / known
    }
    return dims
  }

  /// The resolved start of every axis of `x[ranges]` and the sizes of the kept (non-index) axes.
  public static func sliceStarts(_ ranges: [SliceRange], _ x: [Int]) throws -> (starts: [Int], kept: [Int]) {
    var starts: [Int] = []
    var kept: [Int] = []
    for (i, d) in x.enumerated() {
      let r = i < ranges.count ? ranges[i] : .all
      guard let (start, count) = r.resolve(d) else {
        throw RuntimeError("index \(r.start!) is out of range for axis \(i) of size \(d)")
      }
      starts.append(start)
      if !r.isIndex { kept.append(count) }
    }
    return (starts, kept)
  }
}
