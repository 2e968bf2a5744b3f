import SketchRuntime

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

  static func random(_ r: RandomOp, _ a: [Tensor]) throws -> Tensor {
    let key = RandomKey(tensor: a[0])
    switch r {
    case .uniform(let d, let items):
      return Random.uniform(key: key, shape: try Shapes.resolve(items, a.map(\.shape), count: nil), dtype: d)
    case .normal(let d, let items):
      return Random.normal(key: key, shape: try Shapes.resolve(items, a.map(\.shape), count: nil), dtype: d)
    case .bernoulli:
      return Random.bernoulli(key: key, probabilities: a[1])
    case .categorical:
      guard let k = a[1].shape.last, k >= 1 else { throw KernelFailure.emptyCategorical.error(.random(r)) }
      if let bad = a[1].doubles.first(where: { $0 < 0 || $0.isNaN }) {
        throw KernelFailure.badProbability.error(.random(r), bad)
      }
      return Random.categorical(key: key, probabilities: a[1])
    }
  }
}
