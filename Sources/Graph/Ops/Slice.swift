import SketchRuntime

/// `slice` and `updateSlice` (set or increment a slice): type rules, run-time shape rules, gradients
/// and reference kernels. Their C lowering is `Codegen/Native/Ops/Slice.swift`.
enum SliceRule {
  static func type(_ t: [TensorType], _ ranges: [SliceRange]) throws -> TensorType {
    try arity(t, 1)
    return TensorType(t[0].dtype, try slicedShape(t[0].shape, ranges))
  }

  static func updateType(_ t: [TensorType], _ ranges: [SliceRange]) throws -> TensorType {
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
  }

  static func shape(_ x: [Int], _ ranges: [SliceRange]) throws -> [Int] {
    try Shapes.sliceStarts(ranges, x).kept
  }

  static func updateShape(_ ins: [[Int]], _ ranges: [SliceRange]) throws -> [Int] {
    let kept = try Shapes.sliceStarts(ranges, ins[0]).kept
    let y = ins[1]
    guard y.count <= kept.count,
      y.enumerated().allSatisfy({ $0.element == 1 || $0.element == kept[kept.count - y.count + $0.offset] })
    else { throw RuntimeError("a value of shape \(y) does not fit the slice \(kept)") }
    return ins[0]
  }

  static func pullback(_ y: Var, _ ranges: [SliceRange], _ g: Var) -> [Var?] {
    [incSlice(zerosLike(y.inputs[0]), ranges, g)]
  }

  static func updatePullback(_ y: Var, _ ranges: [SliceRange], accumulate: Bool, _ g: Var) -> [Var?] {
    let gx = accumulate ? g : setSlice(g, ranges, literal(0, like: g))
    return [gx, sumToShape(slice(g, ranges), like: y.inputs[1])]
  }
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

extension Kernels {
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
}
