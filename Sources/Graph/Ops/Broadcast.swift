import SketchRuntime

/// `broadcast`: type rule, run-time shape rule, gradient and reference kernel. Its C lowering is
/// `Codegen/Native/Ops/Broadcast.swift`.
enum BroadcastRule {
  static func type(_ t: [TensorType], _ items: [ShapeItem]) throws -> TensorType {
    guard t.count >= 1 else { throw TypeMismatch("broadcast needs an operand") }
    let dims = try targetDims(items, refs: Array(t.dropFirst()), allowInfer: false)
    let x = t[0].shape
    guard x.count <= dims.count else {
      throw TypeMismatch("cannot broadcast rank \(x.count) to rank \(dims.count) \(Op.shapeText(dims))")
    }
    for (i, d) in x.enumerated() {
      let target = dims[dims.count - x.count + i]
      guard d.isOne || compatible(d, target) else {
        throw TypeMismatch("cannot broadcast \(t[0]) to \(Op.shapeText(dims)): axis \(i) is \(d), not 1 or \(target)")
      }
    }
    return TensorType(t[0].dtype, dims)
  }

  static func shape(_ ins: [[Int]], types: [TensorType], _ items: [ShapeItem]) throws -> [Int] {
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
  }

  static func pullback(_ y: Var, _ g: Var) -> [Var?] {
    [sumToShape(g, like: y.inputs[0])] + y.inputs.dropFirst().map { _ in nil }
  }
}

/// Sums `g` over the axes that broadcasting added or stretched, so it has `x`'s shape.
public func sumToShape(_ g: Var, like x: Var) -> Var {
  if g.shape == x.shape { return g }
  var r = g
  let extra = g.rank - x.rank
  if extra > 0 { r = sum(r, axes: Array(0..<extra)) }
  let axes = (0..<x.rank).filter { x.shape[$0].isOne && !r.shape[$0].isOne }
  if !axes.isEmpty { r = sum(r, axes: axes, keepDims: true) }
  if r.shape != x.shape { r = reshape(r, shapeOf(x)) }
  return r
}

extension Kernels {
  /// `x` broadcast to `shape`; with `declared` (x's static type), only dims declared as 1 stretch, as
  /// in elementwise ops (the gradient, a sum over the declared-1 axes, relies on it).
  static func broadcast(_ x: Tensor, to shape: [Int], declared: TensorType? = nil) throws -> Tensor {
    guard x.rank <= shape.count else { throw RuntimeError("cannot broadcast \(x.shape) to \(shape)") }
    for (i, d) in x.shape.enumerated() where d != 1 && d != shape[shape.count - x.rank + i] {
      throw RuntimeError("cannot broadcast \(x.shape) to \(shape)")
    }
    if let declared {
      for (i, d) in x.shape.enumerated()
      where d == 1 && shape[shape.count - x.rank + i] != 1 && !declared.shape[i].isOne {
        throw RuntimeError(
          "an operand of type \(declared) has size 1 on axis \(i) at run time and would broadcast to \(shape[shape.count - x.rank + i]); only dims declared as 1 broadcast"
        )
      }
    }
    return Tensor(shape: shape, storage: x.storage.gather(broadcastIndex(x.shape, to: shape)))
  }
}
