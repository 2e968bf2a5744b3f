import SketchRuntime

// Checks the type rules of the ops share.

func arity(_ t: [TensorType], _ n: Int) throws {
  guard t.count == n else { throw TypeMismatch("expects \(n) operands, got \(t.count)") }
}

func checkAxes(_ axes: [Int], rank: Int) throws {
  for a in axes where a < 0 || a >= rank {
    throw TypeMismatch("axis \(a) is out of range for rank \(rank)")
  }
  guard Set(axes).count == axes.count else { throw TypeMismatch("repeated axis in \(axes)") }
}

/// The static dims of a target shape (reshape, broadcast, random draws): fixed sizes, at most one
/// inferred dim where `allowInfer`, and the dims of the reference operands `refs` (`.dimOf`).
func targetDims(_ items: [ShapeItem], refs: [TensorType], allowInfer: Bool) throws -> [Dim] {
  var inferred = 0
  return try items.map { item in
    switch item {
    case .fixed(let n):
      guard n >= 0 else { throw TypeMismatch("negative dimension \(n)") }
      return .fixed(n)
    case .infer:
      inferred += 1
      guard allowInfer, inferred == 1 else { throw TypeMismatch("at most one inferred (-1) dimension in a reshape") }
      return .unknown
    case .dimOf(let i, let a):
      guard i >= 1, i <= refs.count, a >= 0, a < refs[i - 1].rank else {
        throw TypeMismatch("shape item \(item) names a missing reference axis")
      }
      return refs[i - 1].shape[a]
    }
  }
}
