import SketchRuntime

/// The run-time shape rule of every op: the shape of a node's result for operands of concrete shapes
/// (each op's own rule is in its file under `Ops/`).
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
    case .input, .constant, .shared: return try LeafRule.shape(self)
    case .scan: throw RuntimeError("a loop's output shapes come from its body")
    case .tupleElement: throw RuntimeError("an output of a multi-output node has the shape that node gives it")
    case .unary, .cast, .stopGradient, .clipGradient: return ins[0]
    case .binary, .select, .fused: return try Shapes.broadcast(ins, types: types)
    case .reduce(_, let axes, let keep): return ReduceRule.shape(ins[0], axes: axes, keepDims: keep)
    case .argmax(let axis, let keep): return ReduceRule.shape(ins[0], axes: [axis], keepDims: keep)
    case .size: return []
    case .matmul(let ta, let tb): return try MatmulRule.shape(ins, transposeA: ta, transposeB: tb)
    case .gemm(let g): return try MatmulRule.gemmShape(ins, types: types, g)
    case .transpose(let p): return TransposeRule.shape(ins[0], p)
    case .reshape(let items): return try ReshapeRule.shape(ins, items)
    case .broadcast(let items): return try BroadcastRule.shape(ins, types: types, items)
    case .slice(let ranges): return try SliceRule.shape(ins[0], ranges)
    case .updateSlice(let ranges, _): return try SliceRule.updateShape(ins, ranges)
    case .concat(let axis): return try ConcatRule.shape(ins, axis: axis)
    case .concatPart(_, let index): return ins[1 + index]
    case .take(let axis): return TakeRule.shape(ins, axis: axis)
    case .takeGrad: return ins[0]
    case .takeAlong(let axis): return try TakeAlongRule.shape(ins, axis: axis)
    case .takeAlongGrad(let axis): return try TakeAlongRule.gradShape(ins, axis: axis)
    case .oneHot(let depth, _): return OneHotRule.shape(ins, depth: depth)
    case .arange(_, let n): return try ArangeRule.shape(ins, length: n)
    case .cumsum: return ins[0]
    case .foldKey: return [2]
    case .random(let r): return try RandomRule.shape(ins, r)
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
