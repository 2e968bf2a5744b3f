import Codegen
import Foundation
import TestSupport
import XCTest

/// matmul: 2-D with every transpose combination, batched 3-D, batched A with a 2-D B, symbolic batch
/// dims, against a triple loop.
final class MatmulTests: XCTestCase {
  func testByHand() throws {
    let a = input("a", .float64, [2, 3])
    let b = input("b", .float64, [3, 2])
    let outs = try evaluate(
      [matmul(a, b), a.matmul(b), matmul(b, a)], [a, b],
      [tensor([2, 3], [1, 2, 3, 4, 5, 6]), tensor([3, 2], [7, 8, 9, 10, 11, 12])])
    assertTensor(outs[0], .float64, [2, 2], [58, 64, 139, 154])
    assertTensor(outs[1], .float64, [2, 2], [58, 64, 139, 154])
    assertTensor(outs[2], .float64, [3, 3], [39, 54, 69, 49, 68, 87, 59, 82, 105])
  }

  func testAllTransposeCombinations() throws {
    var rng = SeededGenerator(seed: 21)
    let (m, k, n) = (3, 4, 5)
    for dtype: DType in [.float32, .float64] {
      let av = roundedIf(dtype, rng.uniform(m * k))
      let bv = roundedIf(dtype, rng.uniform(k * n))
      let expected = naiveMatmul(av, bv, m: m, k: k, n: n)
      for ta in [false, true] {
        for tb in [false, true] {
          // Store A as k x m when it is to be transposed, B as n x k.
          let aStored = ta ? transposed(av, rows: m, cols: k) : av
          let bStored = tb ? transposed(bv, rows: k, cols: n) : bv
          let aShape = ta ? [k, m] : [m, k]
          let bShape = tb ? [n, k] : [k, n]
          let a = input("a", dtype, aShape.map { .fixed($0) })
          let b = input("b", dtype, bShape.map { .fixed($0) })
          let out = try evaluate1(
            matmul(a, b, transposeA: ta, transposeB: tb), [a, b],
            [tensor(aShape, aStored, dtype), tensor(bShape, bStored, dtype)])
          assertTensor(
            out, dtype, [m, n], expected, tol: tolerance(dtype), atol: tolerance(dtype),
            "\(dtype) ta=\(ta) tb=\(tb)")
        }
      }
    }
  }

  func testTransposeProperty() throws {
    // x.T is the reversed-axes transpose, so matmul(a.T, b) equals matmul(a, b, transposeA: true).
    var rng = SeededGenerator(seed: 2)
    let a = input("a", .float64, [4, 3])
    let b = input("b", .float64, [4, 2])
    let args = [rng.tensor([4, 3]), rng.tensor([4, 2])]
    let outs = try evaluate([matmul(a.T, b), matmul(a, b, transposeA: true)], [a, b], args)
    let expected = naiveMatmul(transposed(args[0].doubles, rows: 4, cols: 3), args[1].doubles, m: 3, k: 4, n: 2)
    assertTensor(outs[0], .float64, [3, 2], expected, tol: 1e-12)
    assertTensor(outs[1], .float64, [3, 2], expected, tol: 1e-12)
  }

  func testBatched3D() throws {
    var rng = SeededGenerator(seed: 4)
    let (batch, m, k, n) = (2, 3, 4, 2)
    for dtype: DType in [.float32, .float64] {
      let av = roundedIf(dtype, rng.uniform(batch * m * k))
      let bv = roundedIf(dtype, rng.uniform(batch * k * n))
      var expected: [Double] = []
      for i in 0..<batch {
        expected += naiveMatmul(
          Array(av[(i * m * k)..<((i + 1) * m * k)]), Array(bv[(i * k * n)..<((i + 1) * k * n)]),
          m: m, k: k, n: n)
      }
      let a = input("a", dtype, [2, 3, 4])
      let b = input("b", dtype, [2, 4, 2])
      let out = try evaluate1(
        matmul(a, b), [a, b], [tensor([batch, m, k], av, dtype), tensor([batch, k, n], bv, dtype)])
      assertTensor(out, dtype, [batch, m, n], expected, tol: tolerance(dtype), atol: tolerance(dtype))

      // Batched with both transposed: A stored [batch, k, m], B stored [batch, n, k].
      var at: [Double] = []
      var bt: [Double] = []
      for i in 0..<batch {
        at += transposed(Array(av[(i * m * k)..<((i + 1) * m * k)]), rows: m, cols: k)
        bt += transposed(Array(bv[(i * k * n)..<((i + 1) * k * n)]), rows: k, cols: n)
      }
      let a2 = input("a", dtype, [2, 4, 3])
      let b2 = input("b", dtype, [2, 2, 4])
      let out2 = try evaluate1(
        matmul(a2, b2, transposeA: true, transposeB: true), [a2, b2],
        [tensor([batch, k, m], at, dtype), tensor([batch, n, k], bt, dtype)])
      assertTensor(out2, dtype, [batch, m, n], expected, tol: tolerance(dtype), atol: tolerance(dtype))
    }
  }

  func testBatchedAWith2DB() throws {
    var rng = SeededGenerator(seed: 8)
    let (t, bsz, k, n) = (3, 2, 4, 5)
    let av = rng.uniform(t * bsz * k)
    let bv = rng.uniform(k * n)
    // [T, B, k] · [k, n] is the same as flattening to [T*B, k].
    let expected = naiveMatmul(av, bv, m: t * bsz, k: k, n: n)
    let a = input("a", .float64, ["T", 2, 4])
    let b = input("b", .float64, [4, 5])
    let bT = input("bT", .float64, [5, 4])
    let f = try compile(inputs: [a, b, bT], outputs: [matmul(a, b), matmul(a, bT, transposeB: true)])
    let outs = try f(tensor([t, bsz, k], av), tensor([k, n], bv), tensor([n, k], transposed(bv, rows: k, cols: n)))
    assertTensor(outs[0], .float64, [t, bsz, n], expected, tol: 1e-12, atol: 1e-12)
    assertTensor(outs[1], .float64, [t, bsz, n], expected, tol: 1e-12, atol: 1e-12)
    XCTAssertEqual(matmul(a, b).shape, ["T", 2, 5])
    // A different T in the next call.
    let av1 = rng.uniform(1 * bsz * k)
    let outs1 = try f(tensor([1, bsz, k], av1), tensor([k, n], bv), tensor([n, k], transposed(bv, rows: k, cols: n)))
    assertTensor(outs1[0], .float64, [1, bsz, n], naiveMatmul(av1, bv, m: bsz, k: k, n: n), tol: 1e-12, atol: 1e-12)
  }

  func testSymbolicInnerAndEmptyDims() throws {
    let a = input("a", .float64, ["B", "K"])
    let b = input("b", .float64, ["K", 2])
    let f = try compile(inputs: [a, b], outputs: [matmul(a, b)])
    // K = 0: the product is all zeros.
    let z = try f(tensor([3, 0], []), tensor([0, 2], []))[0]
    assertTensor(z, .float64, [3, 2], [0, 0, 0, 0, 0, 0])
    let one = try f(tensor([1, 3], [1, 2, 3]), tensor([3, 2], [1, 0, 0, 1, 1, 1]))[0]
    assertTensor(one, .float64, [1, 2], [4, 5])
  }

  func testTypeErrors() {
    let a = input("a", .float64, [2, 3])
    XCTAssertNotNil(matmul(a, input("b", .float64, [2, 3])).failure)
    XCTAssertNil(matmul(a, input("b", .float64, [2, 3]), transposeA: true).failure)
    XCTAssertNotNil(matmul(a, input("v", .float64, [3])).failure)
    XCTAssertNotNil(matmul(a, input("i", .int32, [3, 2])).failure)
    XCTAssertNotNil(matmul(input("a3", .float64, [2, 2, 3]), input("b3", .float64, [3, 3, 2])).failure)
    XCTAssertNotNil(matmul(input("a3", .float64, [2, 3, 2]), input("b", .float64, [3, 2]), transposeA: true).failure)
  }

  private func roundedIf(_ dtype: DType, _ v: [Double]) -> [Double] { dtype == .float32 ? roundedToFloat(v) : v }
}
