import Codegen
import Foundation
import TestSupport
import XCTest

/// Symbolic dims bound per call, and the run-time errors of a compiled function (wrong argument
/// count, dtype, shape; inputs that disagree on a named dim; sizes that do not broadcast).
final class ArgumentCheckTests: XCTestCase {
  func testSymbolicDimsTakeNewSizesInEachCall() throws {
    let x = input("x", .float64, ["T", "B", 3])
    let m = input("m", .float64, ["T", "B"])
    let w = input("w", .float64, [3])
    let masked = x * dimshuffle(m, [0, 1, "x"])
    let perStep = sum(masked * w, axes: [1, 2])
    let f = try compile(inputs: [x, m, w], outputs: [perStep, x[-1], sum(m, axes: [0]), mean(x, axes: [0, 1])])
    XCTAssertEqual(perStep.shape, ["T"])
    let wv = [1.0, -2.0, 0.5]
    for (t, b) in [(2, 3), (5, 1), (1, 4), (3, 2)] {
      var rng = SeededGenerator(seed: UInt64(t * 10 + b))
      let xv = rng.uniform(t * b * 3)
      let mv = rng.uniform(t * b, 0, 1).map { $0 < 0.5 ? 0.0 : 1.0 }
      let outs = try f(tensor([t, b, 3], xv), tensor([t, b], mv), tensor([3], wv))
      let expected = (0..<t).map { i in
        (0..<b).map { j in (0..<3).map { k in xv[(i * b + j) * 3 + k] * mv[i * b + j] * wv[k] }.reduce(0, +) }.reduce(
          0, +)
      }
      assertTensor(outs[0], .float64, [t], expected, tol: 1e-12, atol: 1e-12, "T=\(t) B=\(b)")
      assertTensor(outs[1], .float64, [b, 3], Array(xv[((t - 1) * b * 3)...]), "T=\(t) B=\(b)")
      assertTensor(outs[2], .float64, [b], (0..<b).map { j in (0..<t).map { mv[$0 * b + j] }.reduce(0, +) })
      let colMeans = (0..<3).map { k in (0..<(t * b)).map { xv[$0 * 3 + k] }.reduce(0, +) / Double(t * b) }
      assertTensor(outs[3], .float64, [3], colMeans, tol: 1e-12, atol: 1e-14)
    }
  }

  func testWrongDTypeShapeAndCount() throws {
    let x = input("x", .float32, ["T", 3])
    let y = input("y", .float32, ["T"])
    let f = try compile(inputs: [x, y], outputs: [x * dimshuffle(y, [0, "x"])])
    let good = try f(tensor([2, 3], [1, 2, 3, 4, 5, 6], .float32), tensor([2], [1, -1], .float32))[0]
    assertTensor(good, .float32, [2, 3], [1, 2, 3, -4, -5, -6])

    // Wrong dtype: names the argument, its declared type and what was passed.
    assertThrows(["argument 0", "'x'", "f32[T,3]", "f64", "declared at SketchTests/ArgumentCheckTests.swift:"]) {
      try f(tensor([2, 3], [1, 2, 3, 4, 5, 6], .float64), tensor([2], [1, 1], .float32))
    }
    // Wrong fixed dim and wrong rank.
    assertThrows(["argument 0", "'x'", "f32[T,3]", "[2, 4]"]) {
      try f(tensor([2, 4], [Double](repeating: 0, count: 8), .float32), tensor([2], [1, 1], .float32))
    }
    assertThrows(["argument 1", "'y'", "f32[T]", "[2, 1]"]) {
      try f(tensor([2, 3], [Double](repeating: 0, count: 6), .float32), tensor([2, 1], [1, 1], .float32))
    }
    // Wrong count.
    assertThrows(["compiled at SketchTests/ArgumentCheckTests.swift:", "takes 2 arguments", "x, y", "got 1"]) { try f(tensor([2, 3], [1, 2, 3, 4, 5, 6], .float32)) }
    // Inputs that share the name T but disagree.
    let text = assertThrows(["dimension T", "4", "'x'", "5", "'y'", "must agree"]) {
      try f(
        tensor([4, 3], [Double](repeating: 0, count: 12), .float32),
        tensor([5], [Double](repeating: 0, count: 5), .float32))
    }
    XCTAssertTrue(text?.contains("dimension T is 4 in 'x' but 5 in 'y'") ?? false, text ?? "")
    XCTAssertThrowsError(try f(tensor([2, 3], [1, 2, 3, 4, 5, 6], .float32))) { XCTAssertTrue($0 is RuntimeError) }
  }

  func testRunTimeBroadcastingErrors() throws {
    let a = input("a", .float64, ["A", 3])
    let b = input("b", .float64, ["B", 3])
    let line = #line + 1
    let s = add(a, b)
    let f = try compile(inputs: [a, b], outputs: [s])
    let ok = try f(tensor([2, 3], [1, 2, 3, 4, 5, 6]), tensor([2, 3], [1, 1, 1, 1, 1, 1]))[0]
    assertTensor(ok, .float64, [2, 3], [2, 3, 4, 5, 6, 7])
    // Sizes that differ: the error names the node's op and line, and the shapes.
    assertThrows(["SketchTests/ArgumentCheckTests.swift:\(line)", "add", "[2, 3]", "[3, 3]", "do not broadcast"]) {
      try f(tensor([2, 3], [Double](repeating: 0, count: 6)), tensor([3, 3], [Double](repeating: 0, count: 9)))
    }
    // A symbolic dim that is 1 at run time does not stretch (only dims declared 1 broadcast).
    assertThrows(["add", "size 1 on axis 0", "declared as 1"]) {
      try f(tensor([1, 3], [0, 0, 0]), tensor([3, 3], [Double](repeating: 0, count: 9)))
    }
  }

  func testRunTimeReshapeAndBroadcastErrors() throws {
    let x = input("x", .float64, ["N"])
    let line = #line + 1
    let r = reshape(x, [2, 3])
    let f = try compile(inputs: [x], outputs: [r])
    assertTensor(try f(tensor([6], [1, 2, 3, 4, 5, 6]))[0], .float64, [2, 3], [1, 2, 3, 4, 5, 6])
    assertThrows(["SketchTests/ArgumentCheckTests.swift:\(line)", "reshape", "cannot reshape", "[5]", "5 elements"]) {
      try f(tensor([5], [1, 2, 3, 4, 5]))
    }
    let g = try compile(inputs: [x], outputs: [reshape(x, [-1, 4])])
    assertThrows(["-1", "6 elements"]) { try g(tensor([6], [1, 2, 3, 4, 5, 6])) }
    let h = try compile(inputs: [x], outputs: [broadcast(x, to: [2, 3])])
    assertThrows(["broadcast", "[4]", "[2, 3]"]) { try h(tensor([4], [1, 2, 3, 4])) }
  }

  func testBroadcastToStretchesOnlyDimsDeclaredOne() throws {
    let x = input("x", .float64, ["A"])
    let c = input("c", .float64, [2, 3])
    let y = broadcast(x, to: [2, 3])
    let g = try grad((y * c).sum(), wrt: x)
    let f = try compile(inputs: [x, c], outputs: [y, g])
    let outs = try f(tensor([3], [1, 2, 3]), tensor([2, 3], [1, 2, 3, 4, 5, 6]))
    assertTensor(outs[0], .float64, [2, 3], [1, 2, 3, 1, 2, 3])
    assertTensor(outs[1], .float64, [3], [5, 7, 9])
    // A = 1 at run time would stretch a dim not declared 1 (and its gradient could not sum it back).
    assertThrows(["broadcast", "size 1 on axis 0", "declared as 1"]) {
      try f(tensor([1], [1]), tensor([2, 3], [1, 2, 3, 4, 5, 6]))
    }
  }
}
