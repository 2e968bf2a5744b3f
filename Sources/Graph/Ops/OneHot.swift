import SketchRuntime

/// `oneHot`: int32 indices to rows of `depth` zeros with a one at the index (jax.nn.one_hot): type
/// rule, run-time shape rule, gradient and reference kernel. Its C lowering is
/// `Codegen/Native/Ops/OneHot.swift`.
///
/// An index outside `0..<depth` (a padding label such as -1) gives a row of zeros, as in JAX and
/// TensorFlow; indices do not count from the end here.
enum OneHotRule {
  static func type(_ t: [TensorType], depth: Int, dtype: DType) throws -> TensorType {
    try arity(t, 1)
    guard t[0].dtype == .int32 else { throw TypeMismatch("oneHot takes int32 indices, not \(t[0].dtype)") }
    guard depth > 0 else { throw TypeMismatch("oneHot needs a positive depth, not \(depth)") }
    return TensorType(dtype, t[0].shape + [.fixed(depth)])
  }

  static func shape(_ ins: [[Int]], depth: Int) -> [Int] { ins[0] + [depth] }

  /// Integer indices have no gradient.
  static func pullback() -> [Var?] { [nil] }
}

extension Kernels {
  static func oneHot(_ indices: Tensor, depth: Int, dtype: DType) throws -> Tensor {
    let idx = try indices.array(Int32.self)
    var values = [Double](repeating: 0, count: idx.count * depth)
    for (k, i) in idx.enumerated() where i >= 0 && Int(i) < depth { values[k * depth + Int(i)] = 1 }
    return Tensor(shape: indices.shape + [depth], dtype: dtype, values: values)
  }
}
