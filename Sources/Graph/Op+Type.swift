import SketchRuntime

/// Shape and dtype rules: the static type of each op's result, or a message saying what does not fit.
extension Op {
  func resultType(_ inputs: [Var]) -> Result<TensorType, TypeMismatch> {
    Result { try inferType(inputs.map(\.type)) }.mapError { $0 as! TypeMismatch }
  }

  /// The static type of this op's result for operands of types `t`; throws ``TypeMismatch``.
  /// (Passes use it to type the nodes they make.)
  public func inferType(_ t: [TensorType]) throws -> TensorType {
    switch self {
    case .input, .constant, .shared:
      throw TypeMismatch("leaf ops are not built from inputs")
    case .scan, .tupleElement:
      throw TypeMismatch("scan nodes are built by scan()")

    case .fused(let k):
      guard t.count == k.inputCount else {
        throw TypeMismatch("the kernel takes \(k.inputCount) operands, got \(t.count)")
      }
      for (i, (x, d)) in zip(t, k.inputDTypes).enumerated() where x.dtype != d {
        throw TypeMismatch("kernel input \(i) must be \(d), got \(x.dtype)")
      }
      let shape = try t.reduce([Dim]()) { try broadcastShapes($0, $1.shape) }
      return k.outputs.count == 1 ? TensorType(k.outputDTypes[0], shape) : ScanSpec.tupleType

    case .gemm(let g):
      guard t.count == 2 || t.count == 3 else { throw TypeMismatch("gemm takes A, B and optionally C") }
      guard t[0].rank == 2, t[1].rank == 2 else { throw TypeMismatch("gemm needs matrices, got \(t[0]) and \(t[1])") }
      let r = try Op.matmul(transposeA: g.transposeA, transposeB: g.transposeB).inferType([t[0], t[1]])
      if t.count == 3 {
        guard t[2].dtype == r.dtype else { throw TypeMismatch("C is \(t[2].dtype), the product \(r.dtype)") }
        let b = try broadcastShapes(r.shape, t[2].shape)
        guard b.count == 2, zip(b, r.shape).allSatisfy({ $0 == $1 }) else {
          throw TypeMismatch("C \(t[2]) does not broadcast to the product \(r)")
        }
      }
      return r

    case .unary(let f):
      try arity(t, 1)
      guard f.accepts(t[0].dtype) else {
        throw TypeMismatch("\(f.name) does not accept \(t[0].dtype); cast the operand first")
      }
      return t[0]

    case .binary(let f):
      try arity(t, 2)
      guard t[0].dtype == t[1].dtype else {
        throw TypeMismatch("operands have different dtypes \(t[0].dtype) and \(t[1].dtype); cast one of them")
      }
      guard let r = f.resultType(t[0].dtype) else {
        throw TypeMismatch("\(f.name) does not accept \(t[0].dtype)")
      }
      return TensorType(r, try broadcastShapes(t[0].shape, t[1].shape))

    case .select:
      try arity(t, 3)
      guard t[0].dtype == .bool else { throw TypeMismatch("the condition must be bool, not \(t[0].dtype)") }
      guard t[1].dtype == t[2].dtype else {
        throw TypeMismatch("the branches have different dtypes \(t[1].dtype) and \(t[2].dtype)")
      }
      let s = try broadcastShapes(try broadcastShapes(t[0].shape, t[1].shape), t[2].shape)
      return TensorType(t[1].dtype, s)

    case .cast(let d):
      try arity(t, 1)
      return TensorType(d, t[0].shape)

    case .reduce(_, let axes, let keep):
      try arity(t, 1)
      guard t[0].dtype != .bool else { throw TypeMismatch("cannot reduce a bool tensor; cast it first") }
      try checkAxes(axes, rank: t[0].rank)
      return TensorType(t[0].dtype, reducedShape(t[0].shape, axes, keep))

    case .argmax(let axis, let keep):
      try arity(t, 1)
      guard t[0].dtype != .bool else { throw TypeMismatch("argmax of a bool tensor; cast it first") }
      try checkAxes([axis], rank: t[0].rank)
      return TensorType(.int32, reducedShape(t[0].shape, [axis], keep))

    case .matmul(let ta, let tb):
      try arity(t, 2)
      let (a, b) = (t[0], t[1])
      guard a.dtype == b.dtype, a.dtype.isFloatingPoint else {
        throw TypeMismatch("matmul needs two float tensors of one dtype, got \(a.dtype) and \(b.dtype)")
      }
      guard a.rank >= 2, b.rank >= 2 else {
        throw TypeMismatch("matmul needs rank >= 2 operands, got ranks \(a.rank) and \(b.rank)")
      }
      let (m, ka) = ta ? (a.shape[a.rank - 1], a.shape[a.rank - 2]) : (a.shape[a.rank - 2], a.shape[a.rank - 1])
      let (kb, n) = tb ? (b.shape[b.rank - 1], b.shape[b.rank - 2]) : (b.shape[b.rank - 2], b.shape[b.rank - 1])
      guard compatible(ka, kb) else {
        throw TypeMismatch("inner dimensions differ: \(ka) (of A\(ta ? "ᵀ" : "")) vs \(kb) (of B\(tb ? "ᵀ" : ""))")
      }
      var batch = Array(a.shape.dropLast(2))
      if b.rank > 2 {
        guard a.rank == b.rank else {
          throw TypeMismatch("batched matmul needs equal ranks or a 2-D B, got ranks \(a.rank) and \(b.rank)")
        }
        for i in 0..<batch.count {
          guard compatible(batch[i], b.shape[i]) else {
            throw TypeMismatch("batch dimension \(i) differs: \(batch[i]) vs \(b.shape[i])")
          }
          batch[i] = preferNamed(batch[i], b.shape[i])
        }
      } else if a.rank > 2 && ta {
        throw TypeMismatch("a batched A with a 2-D B cannot be transposed; transpose A explicitly")
      }
      return TensorType(a.dtype, batch + [m, n])

    case .transpose(let perm):
      try arity(t, 1)
      guard perm.sorted() == Array(0..<t[0].rank) else {
        throw TypeMismatch("\(perm) is not a permutation of the \(t[0].rank) axes")
      }
      return TensorType(t[0].dtype, perm.map { t[0].shape[$0] })

    case .reshape(let items):
      guard t.count >= 1 else { throw TypeMismatch("reshape needs an operand") }
      let dims = try targetDims(items, refs: Array(t.dropFirst()), allowInfer: true)
      if let n = t[0].fixedCount {
        if items.contains(.infer) {
          let known = dims.compactMap(\.fixedValue).reduce(1, *)
          let allOtherFixed = dims.filter { $0 != .unknown }.allSatisfy { $0.fixedValue != nil }
          if allOtherFixed {
            guard known > 0, n % known == 0 else {
              throw TypeMismatch("cannot reshape \(n) elements to \(Op.shapeText(dims))")
            }
            return TensorType(t[0].dtype, dims.map { $0 == .unknown ? .fixed(n / known) : $0 })
          }
        } else if let m = TensorType(t[0].dtype, dims).fixedCount, m != n {
          throw TypeMismatch("cannot reshape \(t[0]) (\(n) elements) to \(Op.shapeText(dims)) (\(m) elements)")
        }
      }
      return TensorType(t[0].dtype, dims)

    case .broadcast(let items):
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

    case .slice(let ranges):
      try arity(t, 1)
      return TensorType(t[0].dtype, try slicedShape(t[0].shape, ranges))

    case .updateSlice(let ranges, _):
      try arity(t, 2)
      guard t[0].dtype == t[1].dtype else {
        throw TypeMismatch("the value's dtype \(t[1].dtype) differs from the tensor's \(t[0].dtype)")
      }
      let target = try slicedShape(t[0].shape, ranges)
      let b = try broadcastShapes(target, t[1].shape)
      guard b.count == target.count, zip(b, target).allSatisfy({ compatible($0, $1) }) else {
        throw TypeMismatch(
          "a value of shape \(Op.shapeText(t[1].shape)) does not fit the slice \(Op.shapeText(target))")
      }
      return t[0]

    case .concat(let axis):
      guard let first = t.first else { throw TypeMismatch("concatenate needs at least one tensor") }
      guard axis >= 0 && axis < first.rank else {
        throw TypeMismatch("axis \(axis) is out of range for rank \(first.rank)")
      }
      var shape = first.shape
      var total: Int? = 0
      for (j, x) in t.enumerated() {
        guard x.dtype == first.dtype, x.rank == first.rank else {
          throw TypeMismatch("tensor \(j) is \(x), tensor 0 is \(first): dtypes and ranks must agree")
        }
        for i in 0..<x.rank where i != axis {
          guard compatible(x.shape[i], shape[i]) else {
            throw TypeMismatch("tensor \(j) is \(x), tensor 0 is \(first): axis \(i) differs")
          }
          shape[i] = preferNamed(shape[i], x.shape[i])
        }
        if let n = x.shape[axis].fixedValue, let s = total { total = s + n } else { total = nil }
      }
      shape[axis] = total.map { .fixed($0) } ?? .unknown
      return TensorType(first.dtype, shape)

    case .concatPart(_, let index):
      guard t.count >= 2 + index else { throw TypeMismatch("concatPart needs the gradient and the parts") }
      return TensorType(t[0].dtype, t[1 + index].shape)

    case .take(let axis):
      try arity(t, 2)
      guard t[1].dtype == .int32 else { throw TypeMismatch("indices must be int32, not \(t[1].dtype)") }
      try checkAxes([axis], rank: t[0].rank)
      let s = t[0].shape
      return TensorType(t[0].dtype, Array(s[..<axis]) + t[1].shape + Array(s[(axis + 1)...]))

    case .takeGrad:
      try arity(t, 3)
      return TensorType(t[2].dtype, t[0].shape)

    case .size(let axes, let d):
      try arity(t, 1)
      try checkAxes(axes, rank: t[0].rank)
      return TensorType(d, [])

    case .stopGradient:
      try arity(t, 1)
      return t[0]

    case .random(let r):
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

    case .foldKey:
      try arity(t, 2)
      guard t[0] == TensorType(.int32, [2]) else { throw TypeMismatch("the key must be int32[2], got \(t[0])") }
      guard t[1].dtype == .int32, t[1].rank == 0 else {
        throw TypeMismatch("the data folded into a key must be an int32 scalar, got \(t[1])")
      }
      return t[0]
    }
  }

  static func shapeText(_ dims: [Dim]) -> String { "[\(dims.map(\.description).joined(separator: ","))]" }

  private func arity(_ t: [TensorType], _ n: Int) throws {
    guard t.count == n else { throw TypeMismatch("expects \(n) operands, got \(t.count)") }
  }

  private func checkAxes(_ axes: [Int], rank: Int) throws {
    for a in axes where a < 0 || a >= rank {
      throw TypeMismatch("axis \(a) is out of range for rank \(rank)")
    }
    guard Set(axes).count == axes.count else { throw TypeMismatch("repeated axis in \(axes)") }
  }

  private func targetDims(_ items: [ShapeItem], refs: [TensorType], allowInfer: Bool) throws -> [Dim] {
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
}

/// Why an op's operands do not fit (completed into a ``GraphError`` by the builder).
public struct TypeMismatch: Error, CustomStringConvertible {
  public var message: String
  init(_ m: String) { message = m }
  public var description: String { message }
}

/// Whether two dims can be the same size.
func compatible(_ a: Dim, _ b: Dim) -> Bool {
  if case .fixed(let x) = a, case .fixed(let y) = b { return x == y }
  return true
}

/// Of two compatible dims, the more informative one.
func preferNamed(_ a: Dim, _ b: Dim) -> Dim {
  if a.fixedValue != nil { return a }
  if b.fixedValue != nil { return b }
  return a.isAnonymous ? b : a
}

/// numpy broadcasting of static shapes, where only dims statically 1 stretch.
func broadcastShapes(_ a: [Dim], _ b: [Dim]) throws -> [Dim] {
  let r = max(a.count, b.count)
  let pa = [Dim](repeating: 1, count: r - a.count) + a
  let pb = [Dim](repeating: 1, count: r - b.count) + b
  return try (0..<r).map { i in
    let (x, y) = (pa[i], pb[i])
    if x == y { return x }
    if x.isOne { return y }
    if y.isOne { return x }
    guard compatible(x, y) else {
      throw TypeMismatch("shapes \(Op.shapeText(a)) and \(Op.shapeText(b)) do not broadcast (axis \(i): \(x) vs \(y))")
    }
    return preferNamed(x, y)
  }
}

func reducedShape(_ s: [Dim], _ axes: [Int], _ keep: Bool) -> [Dim] {
  s.enumerated().compactMap { i, d in axes.contains(i) ? (keep ? .fixed(1) : nil) : d }
}

func slicedShape(_ s: [Dim], _ ranges: [SliceRange]) throws -> [Dim] {
  guard ranges.count <= s.count else {
    throw TypeMismatch("\(ranges.count) slice ranges for a tensor of rank \(s.count)")
  }
  var out: [Dim] = []
  for (i, d) in s.enumerated() {
    guard i < ranges.count else {
      out.append(d)
      continue
    }
    let r = ranges[i]
    guard r.step != 0 else { throw TypeMismatch("slice step 0 on axis \(i)") }
    if r.isFull {
      out.append(d)
    } else if let n = d.fixedValue {
      guard let (_, c) = r.resolve(n) else {
        throw TypeMismatch("index \(r.start!) is out of range for axis \(i) of size \(n)")
      }
      if !r.isIndex { out.append(.fixed(c)) }
    } else if !r.isIndex {
      out.append(.unknown)
    }
  }
  return out
}
