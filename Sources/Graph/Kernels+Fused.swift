import SketchRuntime

extension Kernels {
  /// Runs a fused kernel: every instruction is evaluated elementwise over the iteration shape with the
  /// same scalar functions the unfused nodes use (``UnaryFn/apply(_:)``, ``BinaryFn/apply(_:_:)``...),
  /// one instruction at a time over all elements, so the results equal the unfused graph's exactly.
  static func fused(_ k: Kernel, _ args: [Tensor], inputTypes: [TensorType]) throws -> [Tensor] {
    let shape = try Shapes.broadcast(args.map(\.shape), types: inputTypes)
    var values: [Tensor?] = []
    values.reserveCapacity(k.instructions.count)
    // Free each value after its last reader, as the interpreter does for nodes.
    var last = [Int](repeating: -1, count: k.instructions.count)
    for (i, ins) in k.instructions.enumerated() { for a in ins.operands { last[a] = i } }
    for o in k.outputs { last[o] = k.instructions.count }
    for (i, ins) in k.instructions.enumerated() {
      let v: Tensor
      switch ins {
      case .input(let j): v = args[j]
      case .constant(let c): v = Tensor(shape: [], dtype: k.dtypes[i], values: [c])
      case .unary(let f, let a): v = unary(f, values[a]!)
      case .binary(let f, let a, let b): v = binary(f, values[a]!, values[b]!, shape: shape)
      case .select(let c, let a, let b): v = select(values[c]!, values[a]!, values[b]!, shape: shape)
      case .cast(let d, let a): v = values[a]!.cast(to: d)
      }
      values.append(v)
      for a in ins.operands where last[a] == i { values[a] = nil }
    }
    return k.outputs.map { o in
      let v = values[o]!
      return v.shape == shape ? v : Tensor(shape: shape, storage: v.storage.gather(broadcastIndex(v.shape, to: shape)))
    }
  }

  /// `alpha · op(A)·op(B) + beta · C`: the matmul kernel, then one elementwise pass, so that with
  /// alpha = beta = 1 the result equals `matmul(A, B) + C` exactly.
  static func gemm(_ g: Gemm, _ a: [Tensor], smallK: Bool = false) throws -> Tensor {
    let p = try matmul(a[0], a[1], transposeA: g.transposeA, transposeB: g.transposeB, smallK: smallK)
    if a.count < 3 && g.alpha == 1 { return p }
    func combine<T: TensorFloat>(_ x: [T], _ c: [T]?, _ cShape: [Int]) -> Tensor {
      let alpha = T(g.alpha)
      let beta = T(g.beta)
      guard let c else { return Tensor(shape: p.shape, x.map { alpha * $0 }) }
      let scaled = g.alpha == 1 ? x : x.map { alpha * $0 }
      if g.beta == 1 { return Tensor(shape: p.shape, zipBroadcast(scaled, p.shape, c, cShape, p.shape, +)) }
      if g.beta == -1 { return Tensor(shape: p.shape, zipBroadcast(scaled, p.shape, c, cShape, p.shape, -)) }
      return Tensor(shape: p.shape, zipBroadcast(scaled, p.shape, c, cShape, p.shape) { $0 + beta * $1 })
    }
    let cShape = a.count > 2 ? a[2].shape : []
    switch p.storage {
    case .float32(let x): return combine(x, a.count > 2 ? a[2].array(Float.self) : nil, cShape)
    case .float64(let x): return combine(x, a.count > 2 ? a[2].array(Double.self) : nil, cShape)
    default: throw RuntimeError("gemm of \(p.dtype)")
    }
  }
}
