import SketchRuntime

/// `reduce` (sum, max, min), `argmax` and `size`: type rules, run-time shape rules, gradients and
/// reference kernels. Their C lowering is `Codegen/Native/Ops/Reduce.swift`.
enum ReduceRule {
  static func type(_ t: [TensorType], axes: [Int], keepDims keep: Bool) throws -> TensorType {
    try arity(t, 1)
    guard t[0].dtype != .bool else { throw TypeMismatch("cannot reduce a bool tensor; cast it first") }
    try checkAxes(axes, rank: t[0].rank)
    return TensorType(t[0].dtype, reducedShape(t[0].shape, axes, keep))
  }

  static func argmaxType(_ t: [TensorType], axis: Int, keepDims keep: Bool) throws -> TensorType {
    try arity(t, 1)
    guard t[0].dtype != .bool else { throw TypeMismatch("argmax of a bool tensor; cast it first") }
    try checkAxes([axis], rank: t[0].rank)
    return TensorType(.int32, reducedShape(t[0].shape, [axis], keep))
  }

  static func sizeType(_ t: [TensorType], axes: [Int], dtype: DType) throws -> TensorType {
    try arity(t, 1)
    try checkAxes(axes, rank: t[0].rank)
    return TensorType(dtype, [])
  }

  static func shape(_ x: [Int], axes: [Int], keepDims keep: Bool) -> [Int] {
    x.enumerated().compactMap { axes.contains($0.offset) ? (keep ? 1 : nil) : $0.element }
  }

  static func pullback(_ y: Var, _ f: ReduceFn, axes: [Int], keepDims keep: Bool, _ g: Var) -> [Var?] {
    let x = y.inputs[0]
    let gk = keep ? g : keepDimsShape(g, reducedOver: axes, of: x)
    let gb = broadcast(gk, like: x)
    switch f {
    case .sum: return [gb]
    case .max, .min:
      let yk = keep ? y : keepDimsShape(y, reducedOver: axes, of: x)
      return [gb * equal(x, broadcast(yk, like: x)).cast(g.dtype)]
    }
  }

  static func size(_ x: Tensor, axes: [Int], dtype: DType) -> Tensor {
    Tensor(shape: [], dtype: dtype, values: [Double(axes.map { x.shape[$0] }.reduce(1, *))])
  }
}

func reducedShape(_ s: [Dim], _ axes: [Int], _ keep: Bool) -> [Dim] {
  s.enumerated().compactMap { i, d in axes.contains(i) ? (keep ? .fixed(1) : nil) : d }
}

/// g reshaped to the keepDims form of a reduction of `x` over `axes`.
func keepDimsShape(_ g: Var, reducedOver axes: [Int], of x: Var) -> Var {
  let spec: [ShapeSpec] = x.shape.enumerated().map { i, d in
    axes.contains(i) ? .n(1) : (d.fixedValue.map { .n($0) } ?? .dim(x, i))
  }
  return reshape(g, spec)
}

extension Kernels {
  /// For each input element, the index of the output element it reduces into.
  static func reductionTargets(_ shape: [Int], axes: [Int]) -> (outShape: [Int], targets: [Int]) {
    let kept = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    let outStrides = Tensor.strides(for: kept)
    let strides = shape.indices.map { axes.contains($0) ? 0 : outStrides[$0] }
    return (kept, odometer(shape, strides: strides, base: 0))
  }

  /// Sum, max or min over `axes`. float32 sums accumulate in double and round once.
  static func reduce(_ f: ReduceFn, _ x: Tensor, axes: [Int], keepDims: Bool) -> Tensor {
    let (kept, targets) = reductionTargets(x.shape, axes: axes)
    let outShape = keepDims ? kept : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    let n = kept.reduce(1, *)
    func run<T: TensorScalar>(_ a: [T], _ conv: (Double) -> T) -> Tensor {
      var acc: [Double]
      switch f {
      case .sum:
        acc = [Double](repeating: 0, count: n)
        for i in a.indices { acc[targets[i]] += a[i].doubleValue }
      case .max, .min:
        acc = [Double](repeating: f == .max ? -.infinity : .infinity, count: n)
        for i in a.indices {
          let v = a[i].doubleValue
          let t = targets[i]
          if v.isNaN || acc[t].isNaN { acc[t] = .nan } else if f == .max ? v > acc[t] : v < acc[t] { acc[t] = v }
        }
      }
      return Tensor(shape: outShape, acc.map(conv))
    }
    switch x.storage {
    case .float32(let a): return run(a) { Float($0) }
    case .float64(let a): return run(a) { $0 }
    case .int32(let a):
      // Sums wrap like C int32 arithmetic; max/min of an empty axis give the int32 extremes.
      return run(a) { v in v.isInfinite ? (v > 0 ? .max : .min) : Int32(truncatingIfNeeded: Int64(v)) }
    case .bool: preconditionFailure("reduce of bool passed type checking")
    }
  }

  /// The index of the first largest element along `axis` (NaN counts as largest).
  static func argmax(_ x: Tensor, axis: Int, keepDims: Bool) -> Tensor {
    let (kept, targets) = reductionTargets(x.shape, axes: [axis])
    let outShape = keepDims ? kept : x.shape.enumerated().filter { $0.offset != axis }.map(\.element)
    let n = kept.reduce(1, *)
    let a = x.doubles
    var best = [Double](repeating: -.infinity, count: n)
    var arg = [Int32](repeating: -1, count: n)
    let step = Tensor.strides(for: x.shape)[axis]
    for i in a.indices {
      let t = targets[i]
      let pos = Int32((i / step) % x.shape[axis])
      if arg[t] < 0 || (!best[t].isNaN && (a[i] > best[t] || a[i].isNaN)) {
        best[t] = a[i]
        arg[t] = pos
      }
    }
    return Tensor(shape: outShape, arg.map { Swift.max($0, 0) })
  }
}
