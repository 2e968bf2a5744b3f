import SketchRuntime

/// `take` (numpy's take along one axis) and `takeGrad` (its gradient, a scatter-add): type rules,
/// run-time shape rules, gradients and reference kernels. Their C lowering is
/// `Codegen/Native/Ops/Take.swift`.
enum TakeRule {
  static func type(_ t: [TensorType], axis: Int) throws -> TensorType {
    try arity(t, 2)
    guard t[1].dtype == .int32 else { throw TypeMismatch("indices must be int32, not \(t[1].dtype)") }
    try checkAxes([axis], rank: t[0].rank)
    let s = t[0].shape
    return TensorType(t[0].dtype, Array(s[..<axis]) + t[1].shape + Array(s[(axis + 1)...]))
  }

  static func gradType(_ t: [TensorType]) throws -> TensorType {
    try arity(t, 3)
    return TensorType(t[2].dtype, t[0].shape)
  }

  static func shape(_ ins: [[Int]], axis: Int) -> [Int] {
    Array(ins[0][..<axis]) + ins[1] + Array(ins[0][(axis + 1)...])
  }

  static func pullback(_ y: Var, axis: Int, _ g: Var) -> [Var?] {
    [apply(.takeGrad(axis: axis), [y.inputs[0], y.inputs[1], g], at: .current), nil]
  }

  static func gradPullback(_ y: Var, axis: Int, _ g: Var) -> [Var?] {
    [nil, nil, take(g, y.inputs[1], axis: axis)]
  }
}

extension Kernels {
  /// Flat source positions for take: output = x.shape[..<axis] + indices.shape + x.shape[axis+1...].
  static func takeIndex(_ shape: [Int], _ indices: Tensor, axis: Int) throws -> (shape: [Int], positions: [Int]) {
    let n = shape[axis]
    let idx = try indices.array(Int32.self).map { i -> Int in
      let j = i < 0 ? Int(i) + n : Int(i)
      guard j >= 0 && j < n else { throw KernelFailure.indexOutOfRange.error(.take(axis: axis), Double(i), Double(n)) }
      return j
    }
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    var pos = [Int]()
    pos.reserveCapacity(outer * idx.count * inner)
    for o in 0..<outer {
      for j in idx {
        let base = (o * n + j) * inner
        for k in 0..<inner { pos.append(base + k) }
      }
    }
    return (Array(shape[..<axis]) + indices.shape + Array(shape[(axis + 1)...]), pos)
  }

  static func take(_ x: Tensor, _ indices: Tensor, axis: Int) throws -> Tensor {
    let (shape, pos) = try takeIndex(x.shape, indices, axis: axis)
    return Tensor(shape: shape, storage: x.storage.gather(pos))
  }

  static func takeGrad(shapeOf x: Tensor, _ indices: Tensor, _ g: Tensor, axis: Int) throws -> Tensor {
    try scatterAdd(g, at: try takeIndex(x.shape, indices, axis: axis).positions, into: x.shape, op: "takeGrad")
  }

  /// Zeros of `shape` with each element `k` of `g` added at flat position `positions[k]` (the
  /// gradients of the gathers).
  static func scatterAdd(_ g: Tensor, at positions: [Int], into shape: [Int], op: String) throws -> Tensor {
    func run<T: TensorFloat>(_ a: [T]) -> Tensor {
      var out = [T](repeating: 0, count: shape.reduce(1, *))
      for (k, p) in positions.enumerated() { out[p] += a[k] }
      return Tensor(shape: shape, out)
    }
    switch g.storage {
    case .float32(let a): return run(a)
    case .float64(let a): return run(a)
    case .int32, .bool: throw RuntimeError("\(op) of a \(g.dtype) gradient")
    }
  }
}
