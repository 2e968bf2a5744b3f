import Codegen
import Foundation
import TestSupport
import XCTest

/// Every rewrite rule: a graph where it fires and one where it must not, and in both cases the
/// optimized graph computes what the graph as built computes (float64, relative 1e-12).
final class OptimizerRewriteTests: XCTestCase {
  /// One case: the rule, the pass it belongs to, whether it fires, and the graph.
  struct Case {
    var rule: String
    var fires: Bool
    var build: (_ x: Var, _ y: Var, _ v: Var, _ m: Var) -> [Var]
  }

  // x, y: f64[3,4] in (0.5, 1.5); v: f64[4]; m: f64[4,2].
  let x = input("x", .float64, [3, 4]), y = input("y", .float64, [3, 4])
  let v = input("v", .float64, [4]), m = input("m", .float64, [4, 2])

  func run(_ pass: String, _ cases: [Case], file: StaticString = #filePath, line: UInt = #line) throws {
    var rng = SeededGenerator(seed: 7)
    let args = [
      rng.tensor([3, 4], 0.5, 1.5), rng.tensor([3, 4], 0.5, 1.5), rng.tensor([4], 0.5, 1.5),
      rng.tensor([4, 2], -1, 1),
    ]
    for c in cases {
      let outs = c.build(x, y, v, m)
      let (_, report) = try optimized(outs, inputs: [x, y, v, m], onlyPasses(pass))
      let hits = report.hits(c.rule)
      if c.fires {
        XCTAssertGreaterThan(hits, 0, "\(c.rule) should fire: \(report)", file: file, line: line)
      } else {
        XCTAssertEqual(hits, 0, "\(c.rule) must not fire: \(report)", file: file, line: line)
      }
      try assertSameValues(
        outs, inputs: [x, y, v, m], args, options: onlyPasses(pass), tol: 1e-12, file: file, line: line)
    }
  }

  func testCanonicalize() throws {
    try run(
      "canonicalize",
      [
        Case(rule: "remove-stop-gradient", fires: true) { x, y, _, _ in [stopGradient(x) * y] },
        Case(rule: "remove-stop-gradient", fires: false) { x, y, _, _ in [x * y] },
        Case(rule: "commutative-order", fires: true) { x, y, _, _ in [x * y + y * x, 2.0 * x] },
        Case(rule: "commutative-order", fires: false) { x, y, _, _ in [x - y, x * y, x * 2.0] },
        Case(rule: "add-neg", fires: true) { x, y, _, _ in [x + (-y), (-x) + y, x - (-y)] },
        Case(rule: "add-neg", fires: false) { x, y, _, _ in [x + y, x - y] },
        Case(rule: "mul-minus-one", fires: true) { x, _, _, _ in [x * -1.0] },
        Case(rule: "mul-minus-one", fires: false) { x, _, _, _ in [x * -2.0] },
      ])
  }

  func testConstantFolding() throws {
    try run(
      "constant-folding",
      [
        Case(rule: "fold", fires: true) { x, _, _, _ in [x + constant(2, .float64) * constant(3, .float64)] },
        Case(rule: "fold", fires: false) { x, _, _, _ in [x * 2.0] },
      ])
  }

  func testSimplify() throws {
    let c = constant(Tensor(shape: [3, 4], (0..<12).map { $0 % 2 == 0 }))
    try run(
      "simplify",
      [
        Case(rule: "mul-one", fires: true) { x, _, _, _ in [x * 1.0, 1.0 * x] },
        Case(rule: "mul-one", fires: false) { _, _, v, _ in
          [v * 2.0, v * broadcast(constant(1, .float64), to: [3, 4])]
        },
        Case(rule: "div-one", fires: true) { x, _, _, _ in [x / 1.0] },
        Case(rule: "div-one", fires: false) { x, _, _, _ in [x / 2.0] },
        Case(rule: "add-zero", fires: true) { x, _, _, _ in [x + 0.0, 0.0 + x, x - 0.0, 0.0 - x] },
        Case(rule: "add-zero", fires: false) { x, _, _, _ in [x + 1.0, 1.0 - x] },
        Case(rule: "sub-self", fires: true) { x, y, _, _ in [(x - x) + y] },
        Case(rule: "sub-self", fires: false) { x, y, _, _ in [x - y] },
        Case(rule: "double-neg", fires: true) { x, _, _, _ in [-(-x)] },
        Case(rule: "double-neg", fires: false) { x, _, _, _ in [-x] },
        Case(rule: "exp-log", fires: true) { x, _, _, _ in [exp(log(x))] },
        Case(rule: "exp-log", fires: false) { x, _, _, _ in [exp(x), log(x)] },
        Case(rule: "log-exp", fires: true) { x, _, _, _ in [log(exp(x))] },
        Case(rule: "log-exp", fires: false) { x, _, _, _ in [log(x + 1.0)] },
        Case(rule: "select-same", fires: true) { x, _, _, _ in [select(c, x, x)] },
        Case(rule: "select-same", fires: false) { x, y, _, _ in [select(c, x, y)] },
        Case(rule: "transpose-transpose", fires: true) { x, _, _, _ in
          let z = reshape(x, [3, 2, 2])
          return [transpose(transpose(z, [1, 0, 2]), [0, 2, 1]), x.T.T * 2.0]
        },
        Case(rule: "transpose-transpose", fires: false) { x, _, _, _ in [x.T] },
        Case(rule: "reshape-reshape", fires: true) { x, _, _, _ in [reshape(reshape(x, [12]), [4, 3])] },
        Case(rule: "reshape-reshape", fires: false) { x, _, _, _ in [reshape(x, [12])] },
        Case(rule: "identity-reshape", fires: true) { x, _, _, _ in [reshape(x, [3, 4]) * 2.0] },
        Case(rule: "identity-reshape", fires: false) { x, _, _, _ in [reshape(x, [4, 3])] },
        Case(rule: "identity-broadcast", fires: true) { x, _, _, _ in [broadcast(x, to: [3, 4]) * 2.0] },
        Case(rule: "identity-broadcast", fires: false) { _, _, v, _ in [broadcast(v, to: [3, 4])] },
        Case(rule: "sum-of-broadcast", fires: true) { _, _, v, _ in [sum(broadcast(v, to: [3, 4]), axes: [0])] },
        Case(rule: "sum-of-broadcast", fires: false) { x, _, _, _ in [sum(x, axes: [0])] },
        Case(rule: "add-into-slice", fires: true) { x, y, _, _ in
          [incSlice(zerosLike(x), [.all, SliceRange(start: 0, stop: 2)], y[.all, SliceRange(start: 1, stop: 3)]) + y]
        },
        Case(rule: "add-into-slice", fires: false) { x, y, _, _ in
          [incSlice(x, [.all, SliceRange(start: 0, stop: 2)], y[.all, SliceRange(start: 1, stop: 3)]) + y]
        },
        Case(rule: "slices-to-concat", fires: true) { x, y, _, _ in
          [
            incSlice(
              incSlice(zerosLike(x), [.all, SliceRange(start: 0, stop: 2)], y[.all, SliceRange(start: 1, stop: 3)]),
              [.all, SliceRange(start: 2, stop: 4)], x[.all, SliceRange(start: 0, stop: 2)])
          ]
        },
        Case(rule: "slices-to-concat", fires: false) { x, y, _, _ in
          [
            incSlice(
              incSlice(zerosLike(x), [.all, SliceRange(start: 0, stop: 1)], y[.all, SliceRange(start: 1, stop: 2)]),
              [.all, SliceRange(start: 2, stop: 4)], x[.all, SliceRange(start: 0, stop: 2)])
          ]
        },
      ])
  }

  func testStabilize() throws {
    try run(
      "stabilize",
      [
        Case(rule: "log-sum-exp", fires: true) { x, _, _, _ in
          [log(sum(exp(x), axes: [1])), log(sum(exp(x), axes: [0], keepDims: true))]
        },
        Case(rule: "log-sum-exp", fires: false) { x, _, _, _ in [logsumexp(x, axes: [1]), log(sum(x, axes: [1]))] },
        Case(rule: "log-softmax", fires: true) { x, _, _, _ in [log(softmax(x, axis: 1))] },
        Case(rule: "log-softmax", fires: false) { x, _, _, _ in [log(x / sum(x, axes: [1], keepDims: true))] },
        Case(rule: "log-sigmoid", fires: true) { x, _, _, _ in [log(sigmoid(x))] },
        Case(rule: "log-sigmoid", fires: false) { x, _, _, _ in [log(tanh(x) + 2.0)] },
        Case(rule: "log-one-minus-sigmoid", fires: true) { x, _, _, _ in [log(1.0 - sigmoid(x))] },
        Case(rule: "log-one-minus-sigmoid", fires: false) { x, _, _, _ in [log(2.0 - sigmoid(x))] },
        Case(rule: "cancel-factors", fires: true) { x, y, _, _ in [x / y * y, -(x / y) * 2.0 * y] },
        Case(rule: "cancel-factors", fires: false) { x, y, _, _ in [x / y * x, x * y / 2.0] },
      ])
  }

  func testGemmFormation() throws {
    try run(
      "gemm",
      [
        Case(rule: "transpose-into-product", fires: true) { x, y, _, _ in [matmul(x.T, y), matmul(x, y.T)] },
        Case(rule: "transpose-into-product", fires: false) { x, _, _, m in [matmul(x, m)] },
        Case(rule: "gemm-bias", fires: true) { x, y, _, m in
          let b = constant(Tensor(shape: [2], [0.5, -1.0]))
          return [matmul(x, m) + b, b - matmul(y, m)]
        },
        Case(rule: "gemm-bias", fires: false) { x, _, _, m in
          let p = matmul(x, m)
          return [p + 1.0, p * 2.0]  // the product is read twice
        },
        Case(rule: "gemm-scale", fires: true) { x, y, _, m in [matmul(x, m) * 3.0, matmul(y, m) / 4.0] },
        Case(rule: "gemm-scale", fires: false) { x, y, _, _ in [matmul(x.T, y) * matmul(x.T, y)] },
        Case(rule: "gemm-neg", fires: true) { x, _, _, m in [-matmul(x, m)] },
        Case(rule: "gemm-neg", fires: false) { x, y, _, _ in [-(x * y)] },
      ])
  }

  /// The simplified graphs are what the rules promise, not only equal in value.
  func testRewrittenShapes() throws {
    let (g, _) = try optimized([x * 1.0 + 0.0], inputs: [x], onlyPasses("simplify"))
    XCTAssertEqual(g.nodes.count, 1, "x * 1 + 0 is x")
    let (g2, _) = try optimized([matmul(x.T, y)], inputs: [x, y], onlyPasses("gemm"))
    XCTAssertEqual(countNodes(g2) { if case .transpose = $0 { return true } else { return false } }, 0)
    XCTAssertEqual(g2.nodes.last?.op, .matmul(transposeA: true, transposeB: false))
    let (g3, _) = try optimized([matmul(x, m) * 2.0 + v[0..<2]], inputs: [x, m, v], onlyPasses("gemm"))
    XCTAssertEqual(g3.nodes.last?.op.name, "gemm{AB,α=2,β=1}")
  }
}
