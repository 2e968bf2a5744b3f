import SketchRuntime

/// `matmul` and the optimizer's `gemm`: their type rule, run-time shape rule, gradient and reference
/// kernel. Their C lowering is `Codegen/Native/Ops/Matmul.swift`.
enum MatmulRule {
  static func type(_ t: [TensorType], transposeA ta: Bool, transposeB tb: Bool) throws -> TensorType {
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
  }

  static func gemmType(_ t: [TensorType], _ g: Gemm) throws -> TensorType {
    guard t.count == 2 || t.count == 3 else { throw TypeMismatch("gemm takes A, B and optionally C") }
    guard t[0].rank == 2, t[1].rank == 2 else { throw TypeMismatch("gemm needs matrices, got \(t[0]) and \(t[1])") }
    let r = try type([t[0], t[1]], transposeA: g.transposeA, transposeB: g.transposeB)
    if t.count == 3 {
      guard t[2].dtype == r.dtype else { throw TypeMismatch("C is \(t[2].dtype), the product \(r.dtype)") }
      let b = try broadcastShapes(r.shape, t[2].shape)
      guard b.count == 2, zip(b, r.shape).allSatisfy({ $0 == $1 }) else {
        throw TypeMismatch("C \(t[2]) does not broadcast to the product \(r)")
      }
    }
    return r
  }

  static func shape(_ ins: [[Int]], transposeA ta: Bool, transposeB tb: Bool) throws -> [Int] {
    let (a, b) = (ins[0], ins[1])
    let (m, ka) = ta ? (a[a.count - 1], a[a.count - 2]) : (a[a.count - 2], a[a.count - 1])
    let (kb, n) = tb ? (b[b.count - 1], b[b.count - 2]) : (b[b.count - 2], b[b.count - 1])
    guard ka == kb else { throw RuntimeError("inner dimensions differ: \(a) and \(b)") }
    if b.count > 2 && Array(b.dropLast(2)) != Array(a.dropLast(2)) {
      throw RuntimeError("batch dimensions differ: \(a) and \(b)")
    }
    return Array(a.dropLast(2)) + [m, n]
  }

  static func gemmShape(_ ins: [[Int]], types: [TensorType], _ g: Gemm) throws -> [Int] {
    let (a, b) = (ins[0], ins[1])
    let (m, ka) = g.transposeA ? (a[1], a[0]) : (a[0], a[1])
    let (kb, n) = g.transposeB ? (b[1], b[0]) : (b[0], b[1])
    guard ka == kb else { throw RuntimeError("inner dimensions differ: \(a) and \(b)") }
    if ins.count > 2 {
      _ = try Shapes.broadcast(
        [[m, n], ins[2]], types: [TensorType(types[0].dtype, [.fixed(m), .fixed(n)]), types[2]])
    }
    return [m, n]
  }

  static func pullback(_ a: Var, _ b: Var, _ g: Var, transposeA ta: Bool, transposeB tb: Bool) -> [Var?] {
    if a.rank > 2 && b.rank == 2 {
      // Batched A against a shared 2-D B (ta is false here): flatten the batch into rows for dB.
      let ga = matmul(g, b, transposeB: !tb)
      let a2 = reshape(a, [-1, a.shape[a.rank - 1].fixedValue.map { .n($0) } ?? .dim(a, a.rank - 1)])
      let g2 = reshape(g, [-1, g.shape[g.rank - 1].fixedValue.map { .n($0) } ?? .dim(g, g.rank - 1)])
      let gb = tb ? matmul(g2, a2, transposeA: true) : matmul(a2, g2, transposeA: true)
      return [ga, gb]
    }
    switch (ta, tb) {
    case (false, false): return [matmul(g, b, transposeB: true), matmul(a, g, transposeA: true)]
    case (true, false): return [matmul(b, g, transposeB: true), matmul(a, g)]
    case (false, true): return [matmul(g, b), matmul(g, a, transposeA: true)]
    case (true, true):
      return [matmul(b, g, transposeA: true, transposeB: true), matmul(g, a, transposeA: true, transposeB: true)]
    }
  }
}

extension Kernels {
  /// `op(A) · op(B)` with BLAS, batched over leading axes (equal in both, or B is 2-D).
  /// `smallK`: the contraction is statically at most 8 long (see `smallContraction`), float32 rank-2
  /// products then use the native backend's short loop instead of BLAS.
  static func matmul(_ a: Tensor, _ b: Tensor, transposeA ta: Bool, transposeB tb: Bool, smallK: Bool = false) throws
    -> Tensor
  {
    let ra = a.rank
    let rb = b.rank
    let (m, ka) = ta ? (a.shape[ra - 1], a.shape[ra - 2]) : (a.shape[ra - 2], a.shape[ra - 1])
    let (kb, n) = tb ? (b.shape[rb - 1], b.shape[rb - 2]) : (b.shape[rb - 2], b.shape[rb - 1])
    guard ka == kb else { throw RuntimeError("inner dimensions differ: \(a.shape) and \(b.shape)") }
    let batch = Array(a.shape.dropLast(2))
    if rb > 2 && Array(b.shape.dropLast(2)) != batch {
      throw RuntimeError("batch dimensions differ: \(a.shape) and \(b.shape)")
    }
    let count = batch.reduce(1, *)
    let k = ka
    let (aStep, bStep, cStep) = (m * k, rb > 2 ? k * n : 0, m * n)
    func run<T: TensorFloat>(
      _ x: [T], _ y: [T], _ gemm: (UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void
    ) -> Tensor {
      var c = [T](repeating: 0, count: count * m * n)
      x.withUnsafeBufferPointer { pa in
        y.withUnsafeBufferPointer { pb in
          c.withUnsafeMutableBufferPointer { pc in
            for i in 0..<count {
              gemm(pa.baseAddress! + i * aStep, pb.baseAddress! + i * bStep, pc.baseAddress! + i * cStep)
            }
          }
        }
      }
      return Tensor(shape: batch + [m, n], c)
    }
    let lda = ta ? m : k
    let ldb = tb ? k : n
    if m * n * count == 0 { return Tensor.zeros(a.dtype, batch + [m, n]) }
    switch (a.storage, b.storage) {
    case (.float32(let x), .float32(let y)) where smallK && !ta && ra == 2 && rb == 2 && (1...8).contains(k):
      // The native backend's loop for short contractions (an input projection of the pen channels):
      // each product rounded, summed in order p = 0, 1, ..., so both backends give the same bits.
      return run(x, y) { pa, pb, pc in
        for i in 0..<m {
          for j in 0..<n {
            var acc = pa[i * k] * pb[tb ? j * k : j]
            for p in 1..<Swift.max(k, 1) { acc = acc + pa[i * k + p] * pb[tb ? j * k + p : p * n + j] }
            pc[i * n + j] = acc
          }
        }
      }
    case (.float32(let x), .float32(let y)):
      return run(x, y) { pa, pb, pc in
        BLAS.gemm(
          transA: ta, transB: tb, m: m, n: n, k: k, alpha: 1, a: pa, lda: Swift.max(lda, 1), b: pb,
          ldb: Swift.max(ldb, 1), beta: 0, c: pc, ldc: Swift.max(n, 1))
      }
    case (.float64(let x), .float64(let y)):
      return run(x, y) { pa, pb, pc in
        BLAS.gemm(
          transA: ta, transB: tb, m: m, n: n, k: k, alpha: 1, a: pa, lda: Swift.max(lda, 1), b: pb,
          ldb: Swift.max(ldb, 1), beta: 0, c: pc, ldc: Swift.max(n, 1))
      }
    default:
      throw RuntimeError("matmul of \(a.dtype) and \(b.dtype)")
    }
  }

  /// Whether a product's contraction is statically known and at most 8 long (its A operand's type).
  static func smallContraction(_ aType: TensorType, transposeA: Bool) -> Bool {
    guard aType.rank == 2, !transposeA, let k = aType.shape[1].fixedValue else { return false }
    return (1...8).contains(k)
  }
}

extension Kernels {
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
