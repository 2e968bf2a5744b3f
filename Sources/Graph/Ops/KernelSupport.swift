import SketchRuntime

/// The reference kernels of the interpreter: each op's kernel is an extension in its file under
/// `Ops/`; here are the index helpers they share.
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
