import Codegen
import Foundation
import TestSupport
import XCTest

/// Symbolic gradients of every differentiable op against central finite differences (`checkGradient`),
/// at seeded random points away from non-differentiable points, with broadcasting shapes.
final class GradientCheckTests: XCTestCase {
  /// Runs checkGradient and reports a failure with the op's name.
  func check(
    _ what: String, _ points: [Tensor], epsilon: Double = 1e-6, relativeTolerance: Double = 1e-4,
    file: StaticString = #filePath, line: UInt = #line, _ build: ([Var]) -> Var
  ) {
    do {
      try checkGradient(at: points, epsilon: epsilon, relativeTolerance: relativeTolerance, build)
    } catch {
      XCTFail("\(what): \(error)", file: file, line: line)
    }
  }

  /// Every differentiable unary function (the switch is exhaustive: a new function must be added).
  func testUnaryFunctions() {
    var rng = SeededGenerator(seed: 100)
    let s = [2, 3]
    var cases: [(String, (Var) -> Var, Tensor)] = [
      ("-x", { -$0 }, rng.tensor(s)),
      ("softplus large", { softplus($0) }, tensor([4], [-30, -15, 15, 30])),
    ]
    for f in UnaryFn.allCases {
      let name = f.name
      switch f {
      case .neg: cases.append((name, { neg($0) }, rng.tensor(s)))
      case .abs: cases.append((name, { abs($0) }, rng.awayFromZero(s)))
      case .exp: cases.append((name, { exp($0) }, rng.tensor(s, -2, 2)))
      case .expm1: cases.append((name, { expm1($0) }, rng.tensor(s, -2, 2)))
      case .log: cases.append((name, { log($0) }, rng.tensor(s, 0.3, 3)))
      case .log1p: cases.append((name, { log1p($0) }, rng.tensor(s, -0.6, 3)))
      case .sqrt: cases.append((name, { sqrt($0) }, rng.tensor(s, 0.3, 3)))
      case .square: cases.append((name, { square($0) }, rng.tensor(s, -2, 2)))
      case .reciprocal: cases.append((name, { reciprocal($0) }, rng.awayFromZero(s, 0.4, 2)))
      case .tanh: cases.append((name, { tanh($0) }, rng.tensor(s, -2, 2)))
      case .sigmoid: cases.append((name, { sigmoid($0) }, rng.tensor(s, -4, 4)))
      case .softplus: cases.append((name, { softplus($0) }, rng.tensor(s, -4, 4)))
      case .sin: cases.append((name, { sin($0) }, rng.tensor(s, -3, 3)))
      case .cos: cases.append((name, { cos($0) }, rng.tensor(s, -3, 3)))
      // Piecewise constant: zero gradient, checked inside a differentiable expression.
      case .sign: cases.append(("sign*x", { sign($0) * $0 * $0 }, rng.awayFromZero(s)))
      case .floor: cases.append(("floor+x", { floor($0) + $0 * $0 }, tensor([3], [0.5, 1.25, -0.75])))
      case .logicalNot: continue  // bool: no gradient flows
      }
    }
    for (name, f, x) in cases { check(name, [x]) { f($0[0]) } }
  }

  func testBinaryFunctionsWithBroadcasting() {
    var rng = SeededGenerator(seed: 200)
    let shapes: [([Int], [Int])] = [
      ([3, 1], [1, 4]), ([4], [2, 3, 4]), ([2, 3, 4], [3, 1]), ([2, 3], []), ([2, 3], [2, 3]),
    ]
    for (sa, sb) in shapes {
      let what = "\(sa) with \(sb)"
      let a = rng.tensor(sa)
      let b = rng.tensor(sb)
      check("+ \(what)", [a, b]) { $0[0] + $0[1] }
      check("* \(what)", [a, b]) { $0[0] * $0[1] }
      for f in BinaryFn.allCases {  // exhaustive: a new function must be added here
        let name = "\(f.name) \(what)"
        switch f {
        case .add: check(name, [a, b]) { add($0[0], $0[1]) }
        case .sub: check(name, [a, b]) { sub($0[0], $0[1]) }
        case .mul: check(name, [a, b]) { mul($0[0], $0[1]) }
        case .div: check(name, [a, rng.awayFromZero(sb)]) { div($0[0], $0[1]) }
        case .pow: check(name, [rng.tensor(sa, 0.5, 2), rng.tensor(sb, -1.5, 1.5)]) { pow($0[0], $0[1]) }
        case .maximum: check(name, [a, b]) { maximum($0[0], $0[1]) }
        case .minimum: check(name, [a, b]) { minimum($0[0], $0[1]) }
        case .lt, .le, .gt, .ge, .eq, .ne, .and, .or: continue  // bool results: no gradient flows
        }
      }
    }
  }

  func testLiteralsAndPowOfAConstant() {
    var rng = SeededGenerator(seed: 201)
    let x = rng.awayFromZero([2, 3], 0.5, 2)
    check("x*2 + 3", [x]) { $0[0] * 2 + 3 }
    check("2 - x", [x]) { 2 - $0[0] }
    check("1 / x", [x]) { 1 / $0[0] }
    check("x / 4 - 1", [x]) { $0[0] / 4 - 1 }
    check("pow(x, 3) with negative x", [x]) { pow($0[0], 3) }
    check("pow(|x|, 0.5)", [x]) { pow(abs($0[0]), 0.5) }
  }

  func testSelectAndCast() {
    var rng = SeededGenerator(seed: 300)
    let cond = constant(Tensor(shape: [3, 4], (0..<12).map { $0 % 3 == 1 }))
    check("select", [rng.tensor([3, 1]), rng.tensor([4])]) { select(cond, $0[0], $0[1]) }
    check("select on computed condition", [rng.tensor([3, 4])]) { v in select(v[0] > 0, v[0] * v[0], -v[0]) }
    // float64 -> float32 -> float64 rounds; a larger step keeps the rounding out of the difference.
    check("cast", [rng.tensor([2, 3])], epsilon: 1e-2, relativeTolerance: 1e-4) { v in
      (v[0].cast(.float32) * 3).cast(.float64)
    }
  }

  func testReductions() {
    var rng = SeededGenerator(seed: 400)
    let x = rng.tensor([2, 3, 4], -2, 2)
    for axes: [Int]? in [nil, [0], [1], [-1], [0, 2], [1, 2]] {
      for keep in [false, true] {
        let what = "axes \(String(describing: axes)) keepDims \(keep)"
        check("sum \(what)", [x]) { sum($0[0], axes: axes, keepDims: keep) }
        check("mean \(what)", [x]) { mean($0[0], axes: axes, keepDims: keep) }
        check("max \(what)", [x]) { max($0[0], axes: axes, keepDims: keep) }
        check("min \(what)", [x]) { min($0[0], axes: axes, keepDims: keep) }
        check("logsumexp \(what)", [x]) { logsumexp($0[0], axes: axes, keepDims: keep) }
      }
    }
    for axis in [0, 1, -1] {
      check("softmax \(axis)", [x]) { softmax($0[0], axis: axis) }
      check("logSoftmax \(axis)", [x]) { logSoftmax($0[0], axis: axis) }
    }
    let big = tensor([2, 3], [300, 301, 299, -300, -301, -299])
    check("logsumexp of large values", [big]) { logsumexp($0[0], axes: [1]) }
    check("logSoftmax of large values", [big]) { logSoftmax($0[0]) }
    check("mean with symbolic-free size", [x]) { v in v[0].mean(axes: [0]) * v[0].sum(axes: [0]) }
  }

  func testMatmul() {
    var rng = SeededGenerator(seed: 500)
    let (m, k, n) = (3, 4, 2)
    for ta in [false, true] {
      for tb in [false, true] {
        let a = rng.tensor(ta ? [k, m] : [m, k])
        let b = rng.tensor(tb ? [n, k] : [k, n])
        check("matmul ta=\(ta) tb=\(tb)", [a, b]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
        let a3 = rng.tensor(ta ? [2, k, m] : [2, m, k])
        let b3 = rng.tensor(tb ? [2, n, k] : [2, k, n])
        check("batched matmul ta=\(ta) tb=\(tb)", [a3, b3]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
      }
      let a4 = rng.tensor([3, 2, k])
      let b2 = rng.tensor(ta ? [n, k] : [k, n])
      // Batched A with a 2-D B (transposed or not).
      check("batched A, 2-D B tb=\(ta)", [a4, b2]) { matmul($0[0], $0[1], transposeB: ta) }
    }
    check("x @ W + b", [rng.tensor([5, 3]), rng.tensor([3, 4]), rng.tensor([4])]) { v in
      tanh(matmul(v[0], v[1]) + v[2])
    }
  }

  func testShapeOps() {
    var rng = SeededGenerator(seed: 600)
    let x = rng.tensor([2, 3, 4])
    check("transpose", [x]) { transpose($0[0], [2, 0, 1]) * $0[0].T.sum() }
    check(".T", [rng.tensor([3, 4])]) { $0[0].T }
    check("dimshuffle", [rng.tensor([3, 1, 2])]) { dimshuffle($0[0], [2, "x", 0]) }
    check("reshape", [x]) { reshape($0[0], [4, -1]) }
    check("reshape to .dim", [x]) { v in reshape(v[0], [.dim(v[0], 2), -1]) }
    check("broadcast to", [rng.tensor([3, 1])]) { broadcast($0[0], to: [2, 3, 4]) }
    check("broadcast like", [rng.tensor([4]), rng.tensor([3, 4])]) { broadcast($0[0], like: $0[1]) * $0[1] }
    check("expandDims/squeeze", [rng.tensor([3, 2])]) { v in squeeze(expandDims(v[0], axis: 1) * 2, axis: 1) }
    check("concatenate", [rng.tensor([2, 3]), rng.tensor([2, 1]), rng.tensor([2, 2])]) { concatenate($0, axis: 1) }
    check("concatenate reused", [rng.tensor([2, 3])]) { v in concatenate([v[0], v[0] * v[0]], axis: 0) }
    check("concatenate the same input twice", [rng.tensor([2, 3])]) { v in concatenate([v[0], v[0]], axis: 1) }
    check("stack", [rng.tensor([2, 3]), rng.tensor([2, 3])]) { stack($0, axis: 1) }
    check("stack last", [rng.tensor([2, 3]), rng.tensor([2, 3])]) { stack($0, axis: -1) }
  }

  func testSlicingAndUpdates() {
    var rng = SeededGenerator(seed: 700)
    let x = rng.tensor([4, 5])
    let slices: [(String, (Var) -> Var)] = [
      ("x[1..<3]", { $0[1..<3] }),
      ("x[-1]", { $0[-1] }),
      ("x[:, 0]", { $0[SliceRange.all, 0] }),
      ("x[::-1]", { $0[SliceRange(step: -1)] }),
      ("x[3:0:-2, 1::2]", { $0[SliceRange(start: 3, stop: 0, step: -2), SliceRange(start: 1, stop: nil, step: 2)] }),
      ("x[1, 2]", { $0[1, 2] }),
      ("x[(-2)...]", { $0[(-2)...] }),
    ]
    for (name, f) in slices { check(name, [x]) { f($0[0]) } }
    check("overlapping slices", [x]) { v in v[0][1..<3] * v[0][2..<4] }
    check("setSlice", [x, rng.tensor([2, 5])]) { v in setSlice(v[0], [SliceRange(start: 1, stop: 3)], v[1]) }
    check("setSlice broadcast", [x, rng.tensor([5])]) { v in setSlice(v[0], [SliceRange(step: 2)], v[1]) }
    check("setSlice index", [x, rng.tensor([])]) { v in setSlice(v[0], [.index(-1), SliceRange(step: -2)], v[1]) }
    check("incSlice", [x, rng.tensor([2, 1])]) { v in incSlice(v[0], [SliceRange(start: 0, stop: 2)], v[1]) * v[0] }
    check("incSlice step", [x, rng.tensor([4, 2])]) { v in
      incSlice(v[0], [SliceRange.all, SliceRange(start: 3, stop: nil, step: -3)], v[1])
    }
  }

  func testTake() {
    var rng = SeededGenerator(seed: 800)
    let x = rng.tensor([4, 3])
    let i1 = constant(Tensor([Int32(0), 2, 2, -1]))
    let i2 = constant(Tensor(shape: [2, 2], [Int32(1), -1, 0, 1]))
    check("take axis 0, repeated and negative", [x]) { take($0[0], i1) }
    check("take axis 1, 2-D indices", [x]) { take($0[0], i2, axis: 1) }
    check("take of take", [x]) { take(take($0[0], i2) * 2, constant(Tensor([Int32(1)])), axis: 0) }
    check("embedding lookup", [rng.tensor([5, 2])]) { v in
      tanh(take(v[0], constant(Tensor(shape: [3, 2], [Int32(0), 4, 4, 1, 0, 0]))))
    }
  }

  /// The checker itself catches a wrong gradient: stopGradient hides half of d(x·x)/dx from grad
  /// but not from finite differences.
  func testCheckerDetectsAWrongGradient() {
    XCTAssertThrowsError(try checkGradient(at: [tensor([3], [0.5, -1, 2])]) { v in v[0] * stopGradient(v[0]) }) {
      error in
      guard let f = error as? GradientCheckFailure else { return XCTFail("\(error)") }
      XCTAssertEqual(f.mismatches.count, 3)
      for m in f.mismatches { XCTAssertEqual(m.numeric, 2 * m.analytic, accuracy: 1e-6) }
      XCTAssertTrue(f.description.contains("input 0 ('x0')"), f.description)
    }
  }

  func testSecondDerivative() throws {
    // grad of a grad: d/dx sum(d/dx sum(x^3)) = d/dx sum(3x^2) = 6x.
    let x = input("x", .float64, [3])
    let g = try grad((x * x * x).sum(), wrt: x)
    let gg = try grad(g.sum(), wrt: x)
    let out = try evaluate1(gg, [x], [tensor([3], [1, -2, 0.5])])
    assertTensor(out, .float64, [3], [6, -12, 3], tol: 1e-14)
    check("gradient of tanh's gradient", [tensor([3], [0.3, -0.7, 1.1])]) { v in
      (try? grad(tanh(v[0]).sum(), wrt: v[0])) ?? v[0]
    }
  }
}
