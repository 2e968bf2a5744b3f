import CBLAS
import CWorkerPool
import Glibc

/// Matrix multiplication through OpenBLAS (`cblas_sgemm` / `cblas_dgemm`), row-major throughout.
///
/// `gemm` computes `C = alpha * op(A) * op(B) + beta * C`, where `op(X)` is `X` or its transpose,
/// `op(A)` is `m x k`, `op(B)` is `k x n` and `C` is `m x n`. The leading dimensions are row strides
/// in elements of the matrices as stored (before `op`), as in CBLAS with `CblasRowMajor`.
public enum BLAS {
  /// The number of threads OpenBLAS uses (`openblas_get_num_threads` / `openblas_set_num_threads`).
  ///
  /// Setting a value below 1 sets 1. The setting is process-wide. By default it is OpenBLAS's own
  /// (`OPENBLAS_NUM_THREADS`, `GOTO_NUM_THREADS` or `OMP_NUM_THREADS` when set), lowered to
  /// ``availableCPUs`` when none of those is set.
  public static var threads: Int {
    get {
      _ = defaultThreads
      return Int(openblas_get_num_threads())
    }
    set {
      _ = defaultThreads
      openblas_set_num_threads(Int32(clamping: max(1, newValue)))
    }
  }

  /// The CPUs this process may use: its affinity mask (`sched_getaffinity`, as `taskset` sets it)
  /// lowered to its cgroup's CPU quota (`cpu.max`, quota / period rounded up), at least 1.
  public static var availableCPUs: Int { Int(sk_pool_available_cpus()) }

  /// Whether the environment sets OpenBLAS's thread count (then it is kept as given).
  public static var threadsFromEnvironment: Bool {
    let names: [String] = ["OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"]
    return names.contains { getenv($0) != nil }
  }

  /// Once per process, before the first use: OpenBLAS's default lowered to ``availableCPUs`` (OpenBLAS
  /// counts the affinity mask but not a cgroup quota) unless the environment sets it.
  private static let defaultThreads: Void = {
    if !threadsFromEnvironment {
      let n = Swift.min(Int(openblas_get_num_threads()), availableCPUs)
      openblas_set_num_threads(Int32(Swift.max(1, n)))
    }
  }()

  // MARK: Pointer interface

  /// Single-precision `C = alpha * op(A) * op(B) + beta * C` (row-major `cblas_sgemm`).
  ///
  /// When `beta` is 0, `C` is not read (it may hold NaNs or garbage), as in BLAS.
  public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    _ = defaultThreads
    checkArguments(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
    if m == 0 || n == 0 { return }
    if k == 0 || alpha == 0 {
      scale(c, m: m, n: n, ldc: ldc, by: beta)
      return
    }
    cblas_sgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// Double-precision `C = alpha * op(A) * op(B) + beta * C` (row-major `cblas_dgemm`).
  ///
  /// When `beta` is 0, `C` is not read (it may hold NaNs or garbage), as in BLAS.
  public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Double, a: UnsafePointer<Double>, lda: Int,
    b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    _ = defaultThreads
    checkArguments(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
    if m == 0 || n == 0 { return }
    if k == 0 || alpha == 0 {
      scale(c, m: m, n: n, ldc: ldc, by: beta)
      return
    }
    cblas_dgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  // MARK: Array interface

  /// `C = alpha * op(A) * op(B) + beta * C` on dense row-major Float arrays.
  ///
  /// `a` holds `m x k` elements (`k x m` when `transA`), `b` holds `k x n` (`n x k` when `transB`)
  /// and `c` holds `m x n`; the leading dimensions are the row lengths of those shapes.
  public static func gemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: [Float], b: [Float], beta: Float = 0, c: inout [Float]
  ) {
    checkArraySizes(a.count, b.count, c.count, m: m, n: n, k: k)
    // With a zero size some buffers are empty (no base address); gemm then never reads A or B.
    if m == 0 || n == 0 { return }
    if k == 0 {
      c.withUnsafeMutableBufferPointer { scale($0.baseAddress!, m: m, n: n, ldc: n, by: beta) }
      return
    }
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          gemm(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
            a: pa.baseAddress!, lda: transA ? m : k, b: pb.baseAddress!, ldb: transB ? k : n,
            beta: beta, c: pc.baseAddress!, ldc: n)
        }
      }
    }
  }

  /// `C = alpha * op(A) * op(B) + beta * C` on dense row-major Double arrays (see the Float version).
  public static func gemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Double = 1, a: [Double], b: [Double], beta: Double = 0, c: inout [Double]
  ) {
    checkArraySizes(a.count, b.count, c.count, m: m, n: n, k: k)
    // With a zero size some buffers are empty (no base address); gemm then never reads A or B.
    if m == 0 || n == 0 { return }
    if k == 0 {
      c.withUnsafeMutableBufferPointer { scale($0.baseAddress!, m: m, n: n, ldc: n, by: beta) }
      return
    }
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          gemm(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
            a: pa.baseAddress!, lda: transA ? m : k, b: pb.baseAddress!, ldb: transB ? k : n,
            beta: beta, c: pc.baseAddress!, ldc: n)
        }
      }
    }
  }

  // MARK: Tensor interface

  /// The matrix product `op(a) * op(b)` of two 2-D tensors of the same dtype (float32 or float64).
  ///
  /// `a` is `[m, k]` (`[k, m]` when `transposeA`), `b` is `[k, n]` (`[n, k]` when `transposeB`); the
  /// result is `[m, n]`. Mismatched shapes or dtypes are programming errors and trap.
  public static func matmul(
    _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
  ) -> Tensor {
    precondition(
      a.rank == 2 && b.rank == 2, "BLAS.matmul: operands must be 2-D, got \(a.shape) and \(b.shape)"
    )
    precondition(
      a.dtype == b.dtype, "BLAS.matmul: dtypes differ (\(a.dtype) and \(b.dtype))")
    let m = transposeA ? a.shape[1] : a.shape[0]
    let k = transposeA ? a.shape[0] : a.shape[1]
    let kb = transposeB ? b.shape[1] : b.shape[0]
    let n = transposeB ? b.shape[0] : b.shape[1]
    precondition(
      k == kb,
      "BLAS.matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") x "
        + "\(b.shape)\(transposeB ? "ᵀ" : "")")
    switch (a.storage, b.storage) {
    case (.float32(let x), .float32(let y)):
      var c = [Float](repeating: 0, count: m * n)
      gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, a: x, b: y, c: &c)
      return Tensor(shape: [m, n], c)
    case (.float64(let x), .float64(let y)):
      var c = [Double](repeating: 0, count: m * n)
      gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, a: x, b: y, c: &c)
      return Tensor(shape: [m, n], c)
    default:
      preconditionFailure("BLAS.matmul: dtype must be float32 or float64, got \(a.dtype)")
    }
  }

  // MARK: Helpers

  private static func checkArguments(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int
  ) {
    precondition(m >= 0 && n >= 0 && k >= 0, "BLAS.gemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(
      max(m, n, k, lda, ldb, ldc) <= Int(Int32.max),
      "BLAS.gemm: size exceeds the 32-bit BLAS interface")
    // Row-major: the stored A is m x k (k x m when transposed), so its row length is k (m).
    precondition(lda >= max(1, transA ? m : k), "BLAS.gemm: lda \(lda) too small")
    precondition(ldb >= max(1, transB ? k : n), "BLAS.gemm: ldb \(ldb) too small")
    precondition(ldc >= max(1, n), "BLAS.gemm: ldc \(ldc) too small")
  }

  private static func checkArraySizes(_ na: Int, _ nb: Int, _ nc: Int, m: Int, n: Int, k: Int) {
    precondition(na == m * k, "BLAS.gemm: A has \(na) elements, expected \(m)x\(k)")
    precondition(nb == k * n, "BLAS.gemm: B has \(nb) elements, expected \(k)x\(n)")
    precondition(nc == m * n, "BLAS.gemm: C has \(nc) elements, expected \(m)x\(n)")
  }

  /// `C *= beta` (C = 0 when beta is 0, without reading C), for the cases BLAS is not called.
  private static func scale<T: BinaryFloatingPoint>(
    _ c: UnsafeMutablePointer<T>, m: Int, n: Int, ldc: Int, by beta: T
  ) {
    for i in 0..<m {
      let row = c + i * ldc
      for j in 0..<n { row[j] = beta == 0 ? 0 : row[j] * beta }
    }
  }
}
