import SketchRuntime
import XCTest

/// Checks `BLAS.gemm` / `BLAS.matmul` against a naive triple loop.
final class RuntimeBLASTests: XCTestCase {
  /// Deterministic values in [-1, 1) from a 64-bit LCG (Knuth's MMIX constants).
  private func values(_ count: Int, seed: UInt64) -> [Double] {
    var state = seed
    return (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) * 0x1p-52 - 1
    }
  }

  /// `alpha * op(A) * op(B) + beta * C` by definition, accumulated in Double.
  /// A is stored `m x k` (or `k x m` when transposed), B `k x n` (or `n x k`), all row-major.
  private func naive(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double, a: [Double], b: [Double],
    beta: Double, c: [Double]
  ) -> [Double] {
    var out = c
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0
        for p in 0..<k {
          let aip = transA ? a[p * m + i] : a[i * k + p]
          let bpj = transB ? b[j * k + p] : b[p * n + j]
          sum += aip * bpj
        }
        out[i * n + j] = alpha * sum + beta * c[i * n + j]
      }
    }
    return out
  }

  private let shapes: [(m: Int, n: Int, k: Int)] = [
    (3, 5, 4), (1, 7, 1), (6, 2, 9), (4, 4, 4), (5, 3, 1), (1, 1, 1), (17, 13, 33),
  ]

  func testGemmDoubleAllTransposesAgainstNaiveLoop() {
    for (index, s) in shapes.enumerated() {
      for transA in [false, true] {
        for transB in [false, true] {
          let a = values(s.m * s.k, seed: UInt64(10 + index))
          let b = values(s.k * s.n, seed: UInt64(100 + index))
          let c0 = values(s.m * s.n, seed: UInt64(1000 + index))
          for (alpha, beta) in [(1.0, 0.0), (0.5, -2.0)] {
            var c = c0
            BLAS.gemm(
              transA: transA, transB: transB, m: s.m, n: s.n, k: s.k, alpha: alpha, a: a, b: b,
              beta: beta, c: &c)
            let expected = naive(
              transA: transA, transB: transB, m: s.m, n: s.n, k: s.k, alpha: alpha, a: a, b: b,
              beta: beta, c: c0)
            for (x, y) in zip(c, expected) {
              XCTAssertEqual(x, y, accuracy: 1e-12, "shape \(s) transA \(transA) transB \(transB)")
            }
          }
        }
      }
    }
  }

  func testGemmFloatAllTransposesAgainstNaiveLoop() {
    for (index, s) in shapes.enumerated() {
      for transA in [false, true] {
        for transB in [false, true] {
          let a = values(s.m * s.k, seed: UInt64(20 + index)).map { Float($0) }
          let b = values(s.k * s.n, seed: UInt64(200 + index)).map { Float($0) }
          let c0 = values(s.m * s.n, seed: UInt64(2000 + index)).map { Float($0) }
          var c = c0
          BLAS.gemm(
            transA: transA, transB: transB, m: s.m, n: s.n, k: s.k, alpha: 2, a: a, b: b,
            beta: 0.25,
            c: &c)
          let expected = naive(
            transA: transA, transB: transB, m: s.m, n: s.n, k: s.k, alpha: 2,
            a: a.map { Double($0) }, b: b.map { Double($0) }, beta: 0.25, c: c0.map { Double($0) })
          for (x, y) in zip(c, expected) {
            XCTAssertEqual(
              Double(x), y, accuracy: 1e-4, "shape \(s) transA \(transA) transB \(transB)")
          }
        }
      }
    }
  }

  func testMatmulTensorsBothDtypesAndTransposes() {
    let (m, n, k) = (4, 3, 5)
    for transA in [false, true] {
      for transB in [false, true] {
        let a = values(m * k, seed: 7)
        let b = values(k * n, seed: 8)
        let expected = naive(
          transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, b: b, beta: 0,
          c: [Double](repeating: 0, count: m * n))
        let ta = Tensor(shape: transA ? [k, m] : [m, k], a)
        let tb = Tensor(shape: transB ? [n, k] : [k, n], b)
        let r64 = BLAS.matmul(ta, tb, transposeA: transA, transposeB: transB)
        XCTAssertEqual(r64.shape, [m, n])
        XCTAssertEqual(r64.dtype, .float64)
        for (x, y) in zip(r64.array(Double.self), expected) {
          XCTAssertEqual(x, y, accuracy: 1e-12)
        }
        let r32 = BLAS.matmul(
          ta.cast(to: .float32), tb.cast(to: .float32), transposeA: transA, transposeB: transB)
        XCTAssertEqual(r32.shape, [m, n])
        XCTAssertEqual(r32.dtype, .float32)
        for (x, y) in zip(r32.array(Float.self), expected) {
          XCTAssertEqual(Double(x), y, accuracy: 1e-5)
        }
      }
    }
  }

  func testMatmulSmallExactValues() {
    // [[1, 2], [3, 4], [5, 6]] x [[1, 0, -1], [2, 1, 0]] = [[5, 2, -1], [11, 4, -3], [17, 6, -5]]
    let a = Tensor(shape: [3, 2], [1, 2, 3, 4, 5, 6] as [Float])
    let b = Tensor(shape: [2, 3], [1, 0, -1, 2, 1, 0] as [Float])
    XCTAssertEqual(BLAS.matmul(a, b).array(Float.self), [5, 2, -1, 11, 4, -3, 17, 6, -5])
    // aᵀ a = [[35, 44], [44, 56]]
    XCTAssertEqual(BLAS.matmul(a, a, transposeA: true).array(Float.self), [35, 44, 44, 56])
    // a aᵀ, 3x3: row i . row j
    XCTAssertEqual(
      BLAS.matmul(a, a, transposeB: true).array(Float.self), [5, 11, 17, 11, 25, 39, 17, 39, 61])
  }

  func testGemmPointerInterfaceWithLeadingDimensions() {
    // A is the top-left 2x3 block of a 2x5 buffer, B the left 3x2 block of a 3x4 buffer, C a 2x2
    // block of a 2x3 buffer whose last column must stay untouched.
    let abuf: [Double] = [1, 2, 3, 99, 99, 4, 5, 6, 99, 99]
    let bbuf: [Double] = [1, 0, 99, 99, 0, 1, 99, 99, 1, 1, 99, 99]
    var cbuf: [Double] = [0, 0, -7, 0, 0, -7]
    abuf.withUnsafeBufferPointer { pa in
      bbuf.withUnsafeBufferPointer { pb in
        cbuf.withUnsafeMutableBufferPointer { pc in
          BLAS.gemm(
            transA: false, transB: false, m: 2, n: 2, k: 3, alpha: 1, a: pa.baseAddress!, lda: 5,
            b: pb.baseAddress!, ldb: 4, beta: 0, c: pc.baseAddress!, ldc: 3)
        }
      }
    }
    // [[1,2,3],[4,5,6]] x [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]
    XCTAssertEqual(cbuf, [4, 5, -7, 10, 11, -7])
  }

  func testZeroInnerDimensionScalesC() {
    var c: [Float] = [1, 2, 3, 4]
    BLAS.gemm(m: 2, n: 2, k: 0, a: [], b: [], beta: 3, c: &c)
    XCTAssertEqual(c, [3, 6, 9, 12])
    var d: [Double] = [.nan, 1]
    BLAS.gemm(m: 1, n: 2, k: 0, a: [], b: [], beta: 0, c: &d)
    XCTAssertEqual(d, [0, 0])
    XCTAssertEqual(
      BLAS.matmul(Tensor.zeros(.float64, [2, 0]), Tensor.zeros(.float64, [0, 3])),
      Tensor.zeros(.float64, [2, 3]))
  }

  func testBetaZeroIgnoresGarbageInC() {
    var c: [Double] = [.nan, .infinity]
    BLAS.gemm(m: 1, n: 2, k: 1, a: [2], b: [3, 4], beta: 0, c: &c)
    XCTAssertEqual(c, [6, 8])
  }

  func testThreadCountCanBeSetAndRead() {
    let original = BLAS.threads
    defer { BLAS.threads = original }
    XCTAssertGreaterThanOrEqual(original, 1)
    BLAS.threads = 1
    XCTAssertEqual(BLAS.threads, 1)
    // A product after switching still gives the right answer.
    XCTAssertEqual(
      BLAS.matmul(
        Tensor(shape: [1, 2], [1, 2] as [Double]), Tensor(shape: [2, 1], [3, 4] as [Double])
      )
      .array(Double.self), [11])
  }
}
