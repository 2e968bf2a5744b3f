import SketchRuntime

/// `takeAlong` (numpy's take_along_axis: one index per position, e.g. the logit of each row's label)
/// and `takeAlongGrad` (its gradient, a scatter-add): type rules, run-time shape rules, gradients and
/// reference kernels. Their C lowering is `Codegen/Native/Ops/TakeAlong.swift`.
///
/// The indices have the rank of `x` and agree with it on every axis but `axis`; the result has the
/// indices' shape, and `result[..., j, ...] = x[..., indices[..., j, ...], ...]`.
enum TakeAlongRule {
  static func type(_ t: [TensorType], axis: Int) throws -> TensorType {
    try arity(t, 2)
    guard t[1].dtype == .int32 else { throw TypeMismatch("indices must be int32, not \(t[1].dtype)") }
    guard t[1].rank == t[0].rank else {
      throw TypeMismatch(
        "indices \(t[1]) for \(t[0]): takeAlong needs indices of the same rank (expandDims them on the axis)")
    }
    try checkAxes([axis], rank: t[0].rank)
    var shape = t[1].shape
    for d in 0..<t[0].rank where d != axis {
      guard compatible(t[0].shape[d], t[1].shape[d]) else {
        throw TypeMismatch("indices \(t[1]) and \(t[0]) differ on axis \(d); they must agree on every axis but \(axis)")
      }
      shape[d] = preferNamed(t[1].shape[d], t[0].shape[d])
    }
    return TensorType(t[0].dtype, shape)
  }

  static func gradType(_ t: [TensorType]) throws -> TensorType {
    try arity(t, 3)
    return TensorType(t[2].dtype, t[0].shape)
  }

  static func shape(_ ins: [[Int]], axis: Int) throws -> [Int] {
    for d in ins[0].indices where d != axis && ins[0][d] != ins[1][d] {
      throw RuntimeError(
        "takeAlong: indices of shape \(ins[1]) for a tensor of shape \(ins[0]): they must agree on every axis but \(axis)")
    }
    return ins[1]
  }

  static func gradShape(_ ins: [[Int]], axis: Int) throws -> [Int] {
    _ = try shape(ins, axis: axis)
    return ins[0]
  }

  static func pullback(_ y: Var, axis: Int, _ g: Var) -> [Var?] {
    [apply(.takeAlongGrad(axis: axis), [y.inputs[0], y.inputs[1], g], at: .current), nil]
  }

  static func gradPullback(_ y: Var, axis: Int, _ g: Var) -> [Var?] {
    [nil, nil, takeAlong(g, y.inputs[1], axis: axis)]
  }
}

extension Kernels {
  /// For each element of the indices (row-major), the flat position in `x` (of shape `shape`) it reads.
  static func takeAlongPositions(_ shape: [Int], _ indices: Tensor, axis: Int) throws -> [Int] {
    let n = shape[axis]
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    let m = indices.shape[axis]
    let idx = try indices.array(Int32.self)
    var pos = [Int](repeating: 0, count: idx.count)
    for o in 0..<outer {
      for j in 0..<m {
        for k in 0..<inner {
          let q = (o * m + j) * inner + k
          let i = Int(idx[q])
          let v = i < 0 ? i + n : i
          guard v >= 0 && v < n else {
            throw KernelFailure.indexOutOfRange.error(.takeAlong(axis: axis), Double(i), Double(n))
          }
          pos[q] = (o * n + v) * inner + k
        }
      }
    }
    return pos
  }

  static func takeAlong(_ x: Tensor, _ indices: Tensor, axis: Int) throws -> Tensor {
    let pos = try takeAlongPositions(x.shape, indices, axis: axis)
    return Tensor(shape: indices.shape, storage: x.storage.gather(pos))
  }

  static func takeAlongGrad(shapeOf x: Tensor, _ indices: Tensor, _ g: Tensor, axis: Int) throws -> Tensor {
    try scatterAdd(g, at: try takeAlongPositions(x.shape, indices, axis: axis), into: x.shape, op: "takeAlongGrad")
  }
}
