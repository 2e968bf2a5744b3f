import SketchRuntime

/// The counter-based random draws (`random`: uniform, normal, bernoulli, categorical) and `foldKey`:
/// type rules, run-time shape rules and reference kernels (Philox-4x32-10 through `SketchRuntime`;
/// no gradient flows into keys or probabilities). Their C lowering is `Codegen/Native/Ops/Random.swift`.
enum RandomRule {
  static func type(_ t: [TensorType], _ r: RandomOp) throws -> TensorType {
    guard t.count >= 1, t[0] == TensorType(.int32, [2]) else {
      throw TypeMismatch(
        "the key must be an int32[2] tensor (see randomKey), got \(t.first.map(\.description) ?? "nothing")")
    }
    switch r {
    case .uniform(let d, let items), .normal(let d, let items):
      guard d.isFloatingPoint else { throw TypeMismatch("random draws are float32 or float64, not \(d)") }
      return TensorType(d, try targetDims(items, refs: Array(t.dropFirst()), allowInfer: false))
    case .bernoulli:
      try arity(t, 2)
      guard t[1].dtype.isFloatingPoint else { throw TypeMismatch("probabilities must be float, not \(t[1].dtype)") }
      return TensorType(.bool, t[1].shape)
    case .categorical:
      try arity(t, 2)
      guard t[1].dtype.isFloatingPoint, t[1].rank >= 1 else {
        throw TypeMismatch("probabilities must be a float tensor of rank >= 1, got \(t[1])")
      }
      return TensorType(.int32, Array(t[1].shape.dropLast()))
    }
  }

  static func foldKeyType(_ t: [TensorType]) throws -> TensorType {
    try arity(t, 2)
    guard t[0] == TensorType(.int32, [2]) else { throw TypeMismatch("the key must be int32[2], got \(t[0])") }
    guard t[1].dtype == .int32, t[1].rank == 0 else {
      throw TypeMismatch("the data folded into a key must be an int32 scalar, got \(t[1])")
    }
    return t[0]
  }

  static func shape(_ ins: [[Int]], _ r: RandomOp) throws -> [Int] {
    switch r {
    case .uniform(_, let items), .normal(_, let items): return try Shapes.resolve(items, ins, count: nil)
    case .bernoulli: return ins[1]
    case .categorical: return Array(ins[1].dropLast())
    }
  }

  static func foldKey(_ a: [Tensor]) -> Tensor {
    let data = UInt64(UInt32(bitPattern: Int32(a[1].scalarValue)))
    return RandomKey(tensor: a[0]).fold(data).tensor
  }
}

extension Kernels {
  static func random(_ r: RandomOp, _ a: [Tensor]) throws -> Tensor {
    let key = RandomKey(tensor: a[0])
    switch r {
    case .uniform(let d, let items):
      return Random.uniform(key: key, shape: try Shapes.resolve(items, a.map(\.shape), count: nil), dtype: d)
    case .normal(let d, let items):
      return Random.normal(key: key, shape: try Shapes.resolve(items, a.map(\.shape), count: nil), dtype: d)
    case .bernoulli:
      return Random.bernoulli(key: key, probabilities: a[1])
    case .categorical:
      guard let k = a[1].shape.last, k >= 1 else { throw KernelFailure.emptyCategorical.error(.random(r)) }
      if let bad = a[1].doubles.first(where: { $0 < 0 || $0.isNaN }) {
        throw KernelFailure.badProbability.error(.random(r), bad)
      }
      return Random.categorical(key: key, probabilities: a[1])
    }
  }
}
