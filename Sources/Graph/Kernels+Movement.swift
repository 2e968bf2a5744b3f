import SketchRuntime

extension Kernels {
  /// Concrete dims for shape items, given the reference tensors' shapes.
  static func transpose(_ x: Tensor, _ perm: [Int]) -> Tensor {
    let src = x.strides
    let shape = perm.map { x.shape[$0] }
    return Tensor(shape: shape, storage: x.storage.gather(odometer(shape, strides: perm.map { src[$0] }, base: 0)))
  }

  /// `x` broadcast to `shape`; with `declared` (x's static type), only dims declared as 1 stretch, as
  /// in elementwise ops (the gradient, a sum over the declared-1 axes, relies on it).
  static func broadcast(_ x: Tensor, to shape: [Int], declared: TensorType? = nil) throws -> Tensor {
    guard x.rank <= shape.count else { throw RuntimeError("cannot broadcast \(x.shape) to \(shape)") }
    for (i, d) in x.shape.enumerated() where d != 1 && d != shape[shape.count - x.rank + i] {
      throw RuntimeError("cannot broadcast \(x.shape) to \(shape)")
    }
    if let declared {
      for (i, d) in x.shape.enumerated()
      where d == 1 && shape[shape.count - x.rank + i] != 1 && !declared.shape[i].isOne {
        throw RuntimeError(
          "an operand of type \(declared) has size 1 on axis \(i) at run time and would broadcast to \(shape[shape.count - x.rank + i]); only dims declared as 1 broadcast"
        )
      }
    }
    return Tensor(shape: shape, storage: x.storage.gather(broadcastIndex(x.shape, to: shape)))
  }

  /// The shape of `x[ranges]` and the flat indices of its elements in x.
  static func sliceIndex(_ shape: [Int], _ ranges: [SliceRange]) throws -> (shape: [Int], kept: [Int], indices: [Int]) {
    let strides = Tensor.strides(for: shape)
    var base = 0
    var full: [Int] = []
    var steps: [Int] = []
    var kept: [Int] = []
    for (i, n) in shape.enumerated() {
      let r = i < ranges.count ? ranges[i] : .all
      guard let (start, count) = r.resolve(n) else {
        throw RuntimeError("index \(r.start!) is out of range for axis \(i) of size \(n)")
      }
      base += start * strides[i]
      full.append(count)
      steps.append(r.step * strides[i])
      if !r.isIndex { kept.append(count) }
    }
    return (full, kept, odometer(full, strides: steps, base: base))
  }

  static func slice(_ x: Tensor, _ ranges: [SliceRange]) throws -> Tensor {
    let (_, kept, idx) = try sliceIndex(x.shape, ranges)
    return Tensor(shape: kept, storage: x.storage.gather(idx))
  }

  static func updateSlice(_ x: Tensor, _ ranges: [SliceRange], _ y: Tensor, accumulate: Bool) throws -> Tensor {
    let (full, kept, idx) = try sliceIndex(x.shape, ranges)
    _ = full
    let yIndex = try broadcastIndexChecked(y.shape, to: kept)
    func run<T: TensorScalar>(_ a: [T], _ b: [T], _ add: (T, T) -> T) -> Tensor {
      var out = a
      for (k, i) in idx.enumerated() { out[i] = accumulate ? add(out[i], b[yIndex[k]]) : b[yIndex[k]] }
      return Tensor(shape: x.shape, out)
    }
    switch (x.storage, y.storage) {
    case (.float32(let a), .float32(let b)): return run(a, b, +)
    case (.float64(let a), .float64(let b)): return run(a, b, +)
    case (.int32(let a), .int32(let b)): return run(a, b, &+)
    case (.bool(let a), .bool(let b)): return run(a, b) { $0 || $1 }
    default: preconditionFailure("updateSlice: dtypes passed type checking")
    }
  }

  static func broadcastIndexChecked(_ s: [Int], to out: [Int]) throws -> [Int] {
    guard s.count <= out.count else { throw RuntimeError("a value of shape \(s) does not fit \(out)") }
    for (i, d) in s.enumerated() where d != 1 && d != out[out.count - s.count + i] {
      throw RuntimeError("a value of shape \(s) does not fit \(out)")
    }
    return broadcastIndex(s, to: out)
  }

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

  /// Flat source positions for take: output = x.shape[..<axis] + indices.shape + x.shape[axis+1...].
  static func takeIndex(_ shape: [Int], _ indices: Tensor, axis: Int) throws -> (shape: [Int], positions: [Int]) {
    let n = shape[axis]
    let idx = try indices.array(Int32.self).map { i -> Int in
      let j = i < 0 ? Int(i) + n : Int(i)
      guard j >= 0 && j < n else { throw KernelFailure.indexOutOfRange.error(.take(axis: axis), Double(i), Double(n)) }
      return j
    }
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    var pos = [Int]()
    pos.reserveCapacity(outer * idx.count * inner)
    for o in 0..<outer {
      for j in idx {
        let base = (o * n + j) * inner
        for k in 0..<inner { pos.append(base + k) }
      }
    }
    return (Array(shape[..<axis]) + indices.shape + Array(shape[(axis + 1)...]), pos)
  }

  static func take(_ x: Tensor, _ indices: Tensor, axis: Int) throws -> Tensor {
    let (shape, pos) = try takeIndex(x.shape, indices, axis: axis)
    return Tensor(shape: shape, storage: x.storage.gather(pos))
  }

  static func takeGrad(shapeOf x: Tensor, _ indices: Tensor, _ g: Tensor, axis: Int) throws -> Tensor {
    let (_, pos) = try takeIndex(x.shape, indices, axis: axis)
    func run<T: TensorFloat>(_ a: [T]) -> Tensor {
      var out = [T](repeating: 0, count: x.count)
      for (k, p) in pos.enumerated() { out[p] += a[k] }
      return Tensor(shape: x.shape, out)
    }
    switch g.storage {
    case .float32(let a): return run(a)
    case .float64(let a): return run(a)
    default: throw RuntimeError("takeGrad of a \(g.dtype) gradient")
    }
  }
}
