import SketchRuntime

/// The reference kernels of the interpreter.
enum Kernels {
  /// For each output element (row-major over `out`), the index of the element of a tensor of shape `s`
  /// that broadcasting reads.
  static func broadcastIndex(_ s: [Int], to out: [Int]) -> [Int] {
    let n = out.reduce(1, *)
    if s == out { return Array(0..<n) }
    let pad = out.count - s.count
    let src = Tensor.strides(for: s)
    let strides = out.indices.map { i in i < pad || s[i - pad] == 1 ? 0 : src[i - pad] }
    return odometer(out, strides: strides, base: 0)
  }

  /// Offsets `base + Σ idx[i] * strides[i]` for every index of `shape`, row-major.
  static func odometer(_ shape: [Int], strides: [Int], base: Int) -> [Int] {
    let n = shape.reduce(1, *)
    var result = [Int]()
    result.reserveCapacity(n)
    if n == 0 { return result }
    let r = shape.count
    if r == 0 { return [base] }
    var idx = [Int](repeating: 0, count: r)
    var off = base
    let inner = shape[r - 1]
    let innerStride = strides[r - 1]
    while true {
      for k in 0..<inner { result.append(off + k * innerStride) }
      var d = r - 2
      while d >= 0 {
        idx[d] += 1
        off += strides[d]
        if idx[d] < shape[d] { break }
        off -= strides[d] * shape[d]
        idx[d] = 0
        d -= 1
      }
      if d < 0 { break }
    }
    return result
  }

  static func expand<T>(_ a: [T], _ s: [Int], to out: [Int]) -> [T] {
    if s == out { return a }
    if a.count == 1 { return [T](repeating: a[0], count: out.reduce(1, *)) }
    return broadcastIndex(s, to: out).map { a[$0] }
  }

  static func unary(_ f: UnaryFn, _ x: Tensor) -> Tensor {
    switch x.storage {
    case .float32(let a): return Tensor(shape: x.shape, mapFloat(f, a))
    case .float64(let a): return Tensor(shape: x.shape, mapFloat(f, a))
    case .int32(let a): return Tensor(shape: x.shape, a.map { f.apply($0) })
    case .bool(let a): return Tensor(shape: x.shape, a.map { !$0 })
    }
  }

  /// A unary float function over an array (``UnaryFn/apply(_:)``, the one evaluator).
  static func mapFloat<T: TensorFloat>(_ f: UnaryFn, _ a: [T]) -> [T] {
    [T](unsafeUninitializedCapacity: a.count) { out, n in
      a.withUnsafeBufferPointer { p in for i in 0..<p.count { out[i] = f.apply(p[i]) } }
      n = a.count
    }
  }

  /// `op` over two arrays broadcast to `shape` (fast paths for equal shapes and scalars).
  @inline(__always)
  static func zipBroadcast<T, R>(_ a: [T], _ sa: [Int], _ b: [T], _ sb: [Int], _ shape: [Int], _ op: (T, T) -> R) -> [R]
  {
    let n = shape.reduce(1, *)
    return [R](unsafeUninitializedCapacity: n) { out, count in
      if sa == shape && sb == shape {
        a.withUnsafeBufferPointer { pa in
          b.withUnsafeBufferPointer { pb in for i in 0..<n { out[i] = op(pa[i], pb[i]) } }
        }
      } else if b.count == 1 && sa == shape {
        let y = b[0]
        a.withUnsafeBufferPointer { pa in for i in 0..<n { out[i] = op(pa[i], y) } }
      } else if a.count == 1 && sb == shape {
        let x = a[0]
        b.withUnsafeBufferPointer { pb in for i in 0..<n { out[i] = op(x, pb[i]) } }
      } else if sa == shape, sb.count <= shape.count, Array(shape.suffix(sb.count)) == sb {
        // b repeats along leading axes (a bias row).
        let m = Swift.max(b.count, 1)
        a.withUnsafeBufferPointer { pa in
          b.withUnsafeBufferPointer { pb in for i in 0..<n { out[i] = op(pa[i], pb[i % m]) } }
        }
      } else {
        let ia = broadcastIndex(sa, to: shape)
        let ib = broadcastIndex(sb, to: shape)
        for i in 0..<n { out[i] = op(a[ia[i]], b[ib[i]]) }
      }
      count = n
    }
  }

  static func binary(_ f: BinaryFn, _ x: Tensor, _ y: Tensor, shape: [Int]) -> Tensor {
    func arith<T: TensorFloat>(_ a: [T], _ b: [T]) -> Tensor {
      switch f {
      case .add: return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape, +))
      case .sub: return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape, -))
      case .mul: return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape, *))
      case .div: return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape, /))
      case .lt, .le, .gt, .ge, .eq, .ne:
        return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape) { f.compare($0, $1) })
      default: return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape) { f.apply($0, $1) })
      }
    }
    switch (x.storage, y.storage) {
    case (.float32(let a), .float32(let b)): return arith(a, b)
    case (.float64(let a), .float64(let b)): return arith(a, b)
    case (.int32(let a), .int32(let b)):
      if f.isComparison {
        return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape) { f.compare($0, $1) })
      }
      return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape) { f.apply($0, $1) })
    case (.bool(let a), .bool(let b)):
      return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape) { f.logical($0, $1) })
    default:
      preconditionFailure("binary \(f.name): dtypes \(x.dtype) and \(y.dtype) passed type checking")
    }
  }

  static func select(_ c: Tensor, _ x: Tensor, _ y: Tensor, shape: [Int]) -> Tensor {
    let cond = expand(c.array(Bool.self), c.shape, to: shape)
    func pick<T: TensorScalar>(_ a: [T], _ b: [T]) -> Tensor {
      let ea = expand(a, x.shape, to: shape)
      let eb = expand(b, y.shape, to: shape)
      return Tensor(shape: shape, cond.indices.map { cond[$0] ? ea[$0] : eb[$0] })
    }
    switch (x.storage, y.storage) {
    case (.float32(let a), .float32(let b)): return pick(a, b)
    case (.float64(let a), .float64(let b)): return pick(a, b)
    case (.int32(let a), .int32(let b)): return pick(a, b)
    case (.bool(let a), .bool(let b)): return pick(a, b)
    default: preconditionFailure("select: dtypes passed type checking")
    }
  }
}

extension TensorStorage {
  /// The elements at `indices`, in order (every data-movement kernel reduces to this).
  func gather(_ indices: [Int]) -> TensorStorage {
    switch self {
    case .float32(let a): return .float32(indices.map { a[$0] })
    case .float64(let a): return .float64(indices.map { a[$0] })
    case .int32(let a): return .int32(indices.map { a[$0] })
    case .bool(let a): return .bool(indices.map { a[$0] })
    }
  }
}
