import SketchRuntime

/// `arange`: the numbers 0, 1, ..., n-1 as a vector, where n is a fixed size or the run-time size of
/// another tensor's axis (`ShapeItem.dimOf`): type rule, run-time shape rule, gradient and reference
/// kernel. Its C lowering is `Codegen/Native/Ops/Arange.swift`. Inputs: the reference tensors.
enum ArangeRule {
  static func type(_ t: [TensorType], dtype: DType, length: ShapeItem) throws -> TensorType {
    guard dtype != .bool else { throw TypeMismatch("arange makes numbers; bool is not one of them") }
    if case .infer = length { throw TypeMismatch("arange needs a length, not -1") }
    return TensorType(dtype, try targetDims([length], refs: t, allowInfer: false))
  }

  static func shape(_ ins: [[Int]], length: ShapeItem) throws -> [Int] {
    try Shapes.resolve([length], [[]] + ins, count: nil)
  }

  /// The references give only sizes.
  static func pullback(_ y: Var) -> [Var?] { y.inputs.map { _ in nil } }
}

extension Kernels {
  static func arange(count n: Int, dtype: DType) -> Tensor {
    Tensor(shape: [n], dtype: dtype, values: (0..<n).map(Double.init))
  }
}
