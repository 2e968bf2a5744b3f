import SketchRuntime

/// `concat` and `concatPart` (the part of a gradient that one operand of a concat gets): type rules,
/// run-time shape rules, gradients and reference kernels. Their C lowering (views into the
/// concatenation where the memory plan allows) is `Codegen/Native/Ops/Concat.swift`.
enum ConcatRule {
  static func type(_ t: [TensorType], axis: Int) throws -> TensorType {
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
  }

  static func partType(_ t: [TensorType], index: Int) throws -> TensorType {
    guard t.count >= 2 + index else { throw TypeMismatch("concatPart needs the gradient and the parts") }
    return TensorType(t[0].dtype, t[1 + index].shape)
  }

  static func shape(_ ins: [[Int]], axis: Int) throws -> [Int] {
    var s = ins[0]
    s[axis] = ins.map { $0[axis] }.reduce(0, +)
    for x in ins
    where x.count != s.count || x.enumerated().contains(where: { $0.offset != axis && $0.element != s[$0.offset] }) {
      throw RuntimeError("cannot concatenate \(ins) along axis \(axis)")
    }
    return s
  }

  static func pullback(_ y: Var, axis: Int, _ g: Var) -> [Var?] {
    y.inputs.indices.map { i in apply(.concatPart(axis: axis, index: i), [g] + y.inputs, at: .current) }
  }

  static func partPullback(_ y: Var, axis: Int, index: Int, _ g: Var) -> [Var?] {
    let parts = y.inputs.dropFirst().enumerated().map { j, p in j == index ? g : zerosLike(p) }
    return [concatenate(Array(parts), axis: axis)] + y.inputs.dropFirst().map { _ in nil }
  }
}

extension Kernels {
  static func concat(_ xs: [Tensor], axis: Int) throws -> Tensor {
    var shape = xs[0].shape
    for x in xs {
      for i in shape.indices where i != axis && x.shape[i] != shape[i] {
        throw RuntimeError("cannot concatenate \(xs.map(\.shape)) along axis \(axis): axis \(i) differs")
      }
    }
    shape[axis] = xs.map { $0.shape[axis] }.reduce(0, +)
    let outer = shape[..<axis].reduce(1, *)
    func run<T: TensorScalar>(_ parts: [[T]]) -> Tensor {
      var out = [T]()
      out.reserveCapacity(shape.reduce(1, *))
      let blocks = xs.map { $0.shape[axis...].reduce(1, *) }
      for o in 0..<outer {
        for (p, b) in zip(parts, blocks) { out.append(contentsOf: p[(o * b)..<((o + 1) * b)]) }
      }
      return Tensor(shape: shape, out)
    }
    switch xs[0].storage {
    case .float32: return run(xs.map { $0.array(Float.self) })
    case .float64: return run(xs.map { $0.array(Double.self) })
    case .int32: return run(xs.map { $0.array(Int32.self) })
    case .bool: return run(xs.map { $0.array(Bool.self) })
    }
  }

  static func concatPart(_ g: Tensor, parts: [Tensor], axis: Int, index: Int) throws -> Tensor {
    let offset = parts[..<index].map { $0.shape[axis] }.reduce(0, +)
    let n = parts[index].shape[axis]
    var ranges = [SliceRange](repeating: .all, count: g.rank)
    ranges[axis] = SliceRange(start: offset, stop: offset + n)
    return try slice(g, ranges)
  }
}
