import Codegen
import Foundation
import TestSupport
import XCTest

/// The float32 product of generated code (`CGemmKernel`: packed panels and an AVX-512 micro-kernel;
/// OpenBLAS for small products): against a float64 triple loop at shapes that cross every block edge,
/// with every transpose, in loops that keep a constant's packing across steps (and repack it when the
/// constant changes between calls), and the same bits whatever the thread count.
final class NativeGemmKernelTests: XCTestCase {
  private var threads = 1
  override func setUp() { threads = BLAS.threads }
  override func tearDown() { BLAS.threads = threads }

  /// `op(A) op(B)` computed natively, checked against float64: each element within 2e-6 of the sum of
  /// |a||b| along its row and column (float32 rounding of k products).
  func check(m: Int, k: Int, n: Int, ta: Bool, tb: Bool, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    let av = rng.uniform(m * k).map { Double(Float($0 - 0.5)) }
    let bv = rng.uniform(k * n).map { Double(Float($0 - 0.5)) }
    let aShape = ta ? [k, m] : [m, k]
    let bShape = tb ? [n, k] : [k, n]
    let a = input("a", .float32, aShape.map { .fixed($0) })
    let b = input("b", .float32, bShape.map { .fixed($0) })
    let f = try compile(inputs: [a, b], outputs: [matmul(a, b, transposeA: ta, transposeB: tb)], mode: .native)
    let aArg = Tensor(shape: aShape, (ta ? transposed(av, rows: m, cols: k) : av).map { Float($0) })
    let bArg = Tensor(shape: bShape, (tb ? transposed(bv, rows: k, cols: n) : bv).map { Float($0) })
    let out = try f.call([aArg, bArg])[0].doubles
    XCTAssertEqual(out.count, m * n)
    var worst = 0.0
    for i in 0..<m {
      for j in 0..<n {
        var (sum, size) = (0.0, 0.0)
        for p in 0..<k {
          sum += av[i * k + p] * bv[p * n + j]
          size += abs(av[i * k + p] * bv[p * n + j])
        }
        worst = max(worst, abs(out[i * n + j] - sum) / max(size, 1e-30))
      }
    }
    XCTAssertLessThan(worst, 2e-6, "[\(m)x\(k)]x[\(k)x\(n)] ta=\(ta) tb=\(tb)")
  }

  func testProductsAcrossBlockEdgesWithEveryTranspose() throws {
    // Rows past 8 and 128 (the panels and blocks of A), columns past 16, 32 and 2048 (of B), k in one
    // block, two (600) and three (1030: blocks of 344, 344, 342).
    let shapes = [
      (8, 16, 16), (9, 17, 33), (64, 400, 1600), (137, 300, 529), (300, 33, 47), (16, 600, 40), (7, 64, 64),
      (9, 1030, 2085),
    ]
    for (s, (m, k, n)) in shapes.enumerated() {
      for ta in [false, true] {
        for tb in [false, true] { try check(m: m, k: k, n: n, ta: ta, tb: tb, seed: UInt64(10 * s + (ta ? 2 : 0) + (tb ? 1 : 0))) }
      }
    }
  }

  /// h_t = tanh(h_{t-1} U + x_t) for 6 steps, U a constant of the loop (packed once per run), then U is
  /// scaled in place by an update: the next call must use the new U.
  func testALoopConstantIsPackedOnceAndRepackedWhenItChanges() throws {
    let (T, B, D) = (6, 40, 96)
    var rng = SeededGenerator(seed: 7)
    let u0 = rng.uniform(D * D).map { Float(($0 - 0.5) * 0.3) }
    let xsv = rng.uniform(T * B * D).map { Float($0 - 0.5) }
    let xs = input("xs", .float32, [.fixed(T), .fixed(B), .fixed(D)])
    for transposeB in [false, true] {
      let U = shared(Tensor(shape: [D, D], u0), name: "U")
      let h0 = constant(Tensor(shape: [B, D], [Float](repeating: 0, count: B * D)))
      let r = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
        let h = tanh(matmul(s["h"], U, transposeB: transposeB) + s["x"])
        return ScanStepResult(carries: ["h": h], outputs: [:])
      }
      let f = try compile(inputs: [xs], outputs: [r.final["h"]], updates: [(U, U * 0.5)], mode: .native)
      for call in 0..<3 {
        let scale = pow(0.5, Double(call))
        var h = [Double](repeating: 0, count: B * D)
        for t in 0..<T {
          var next = [Double](repeating: 0, count: B * D)
          for i in 0..<B {
            for j in 0..<D {
              var acc = Double(xsv[(t * B + i) * D + j])
              for p in 0..<D {
                acc += h[i * D + p] * Double(u0[transposeB ? j * D + p : p * D + j]) * scale
              }
              next[i * D + j] = Foundation.tanh(acc)
            }
          }
          h = next
        }
        let out = try f.call([Tensor(shape: [T, B, D], xsv)])[0].doubles
        let worst = zip(out, h).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-5, "call \(call) (U scaled by \(scale)), transposeB \(transposeB)")
      }
    }
  }

  func testTheProductIsTheSameBitsWithOneThreadOrTwo() throws {
    // Split by columns (64 x 1600) and, tall, by rows (2000 x 120).
    for (seed, (m, k, n)) in [(64, 400, 1600), (2000, 300, 120)].enumerated() {
      try checkThreadCounts(m: m, k: k, n: n, seed: UInt64(3 + seed))
    }
  }

  func checkThreadCounts(m: Int, k: Int, n: Int, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    let args = [
      Tensor(shape: [m, k], rng.uniform(m * k).map { Float($0 - 0.5) }),
      Tensor(shape: [k, n], rng.uniform(k * n).map { Float($0 - 0.5) }),
    ]
    let a = input("a", .float32, [.fixed(m), .fixed(k)])
    let b = input("b", .float32, [.fixed(k), .fixed(n)])
    let f = try compile(inputs: [a, b], outputs: [matmul(a, b)], mode: .native)
    BLAS.threads = 1
    let one = try f.call(args)[0].array(Float.self)
    BLAS.threads = 2
    let two = try f.call(args)[0].array(Float.self)
    XCTAssertEqual(one, two, "the parts each thread computes do not depend on where its chunk starts (\(m)x\(n))")
  }
}
