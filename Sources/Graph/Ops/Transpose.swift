import SketchRuntime

/// `transpose`: type rule, run-time shape rule, gradient and reference kernel. Its C lowering is
/// `Codegen/Native/Ops/Transpose.swift`.
enum TransposeRule {
  static func type(_ t: [TensorType], _ perm: [Int]) throws -> TensorType {
    try arity(t, 1)
    guard perm.sorted() == Array(0..<t[0].rank) else {
      throw TypeMismatch("\(perm) is not a permutation of the \(t[0].rank) axes")
    }
    return TensorType(t[0].dtype, perm.map { t[0].shape[$0] })
  }

  static func shape(_ x: [Int], _ perm: [Int]) -> [Int] { perm.map { x[$0] } }

  static func pullback(_ g: Var, _ perm: [Int]) -> [Var?] {
    var inv = [Int](repeating: 0, count: perm.count)
    for (i, a) in perm.enumerated() { inv[a] = i }
    return [transpose(g, inv)]
  }
}

extension Kernels {
  static func transpose(_ x: Tensor, _ perm: [Int]) -> Tensor {
    let src = x.strides
    let shape = perm.map { x.shape[$0] }
    return Tensor(shape: shape, storage: x.storage.gather(odometer(shape, strides: perm.map { src[$0] }, base: 0)))
  }
}
