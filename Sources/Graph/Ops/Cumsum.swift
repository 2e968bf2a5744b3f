import SketchRuntime

/// `cumsum`: running sums along an axis, from the start (`reverse: false`, `y[i] = x[0] + ... + x[i]`)
/// or from the end (`reverse: true`, `y[i] = x[i] + ... + x[n-1]`): type rule, run-time shape rule,
/// gradient and reference kernel. Its C lowering is `Codegen/Native/Ops/Cumsum.swift`. The sums run in
/// index order (from the end when reversed), the same order in both backends.
enum CumsumRule {
  static func type(_ t: [TensorType], axis: Int) throws -> TensorType {
    try arity(t, 1)
    guard t[0].dtype != .bool else { throw TypeMismatch("cumsum of bool: cast to int32 first") }
    try checkAxes([axis], rank: t[0].rank)
    return t[0]
  }

  /// The gradient of a running sum is the running sum of the gradient the other way.
  static func pullback(_ y: Var, axis: Int, reverse: Bool, _ g: Var) -> [Var?] {
    [apply(.cumsum(axis: axis, reverse: !reverse), [g], at: .current)]
  }
}

extension Kernels {
  static func cumsum(_ x: Tensor, axis: Int, reverse: Bool) throws -> Tensor {
    let s = x.shape
    let n = s[axis]
    let outer = s[..<axis].reduce(1, *)
    let inner = s[(axis + 1)...].reduce(1, *)
    func run<T>(_ a: [T], _ add: (T, T) -> T) -> [T] {
      var out = a
      guard n > 1 else { return out }
      for o in 0..<outer {
        for k in 0..<inner {
          let base = o * n * inner + k
          for j in 1..<n {
            let (i, prev) = reverse ? (n - 1 - j, n - j) : (j, j - 1)
            out[base + i * inner] = add(out[base + prev * inner], out[base + i * inner])
          }
        }
      }
      return out
    }
    switch x.storage {
    case .float32(let a): return Tensor(shape: s, run(a, +))
    case .float64(let a): return Tensor(shape: s, run(a, +))
    case .int32(let a): return Tensor(shape: s, run(a, &+))
    case .bool: throw RuntimeError("cumsum of bool")
    }
  }
}
