import Codegen
import Foundation
import TestSupport
import XCTest

/// Graph-building errors (they name the op, both operand types and the user's file:line) and the
/// errors of `grad`.
final class GraphErrorTests: XCTestCase {
  let here = "SketchTests/GraphErrorTests.swift"

  /// Checks that `v` failed with an error that starts at `line` of this file and contains `fragments`,
  /// through `failure`, `check()`, `compile` and `grad`.
  func assertFailed(
    _ v: Var, line: Int, _ fragments: [String], inputs: [Var], file: StaticString = #filePath, line l: UInt = #line
  ) {
    guard let failure = v.failure else {
      XCTFail("no failure", file: file, line: l)
      return
    }
    let text = failure.description
    XCTAssertTrue(text.hasPrefix("\(here):\(line): error in "), text, file: file, line: l)
    for f in fragments { XCTAssertTrue(text.contains(f), "missing \"\(f)\" in:\n\(text)", file: file, line: l) }
    XCTAssertThrowsError(try v.check(), file: file, line: l) { XCTAssertEqual("\($0)", text, file: file, line: l) }
    XCTAssertThrowsError(try compile(inputs: inputs, outputs: [v]), file: file, line: l) {
      XCTAssertTrue($0 is GraphError, file: file, line: l)
      XCTAssertEqual("\($0)", text, file: file, line: l)
    }
    // Everything built from a failed variable fails with the same error.
    let later = (v * 2).sum()
    XCTAssertEqual(later.failure?.description, text, file: file, line: l)
    XCTAssertThrowsError(try grad(later, wrt: inputs), file: file, line: l) {
      XCTAssertEqual("\($0)", text, file: file, line: l)
    }
    XCTAssertEqual(debugprint(later), text, file: file, line: l)
  }

  func testMatmulInnerDimensionMismatch() {
    let a = input("a", .float32, [3, 4])
    let b = input("b", .float32, [5, 2])
    let line = #line + 1
    let z = matmul(a, b)
    assertFailed(
      z, line: line, ["matmul", "f32[3,4]", "f32[5,2]", "inner dimensions differ", "'a'", "'b'"], inputs: [a, b])
    // The operands are listed with where they were made.
    XCTAssertTrue(
      z.failure!.description.contains("'a' input(a) f32[3,4] made at \(here):\(line - 3)"), z.failure!.description)
    XCTAssertEqual(z.failure?.op, "matmul")
    XCTAssertEqual(z.failure?.location.line, line)
  }

  func testBroadcastMismatchInFunctionForm() {
    let a = input("a", .float64, [3, 4])
    let c = input("c", .float64, [5, 4])
    let line = #line + 1
    let z = add(a, c)
    assertFailed(z, line: line, ["add", "f64[3,4]", "f64[5,4]", "do not broadcast", "[3,4]", "[5,4]"], inputs: [a, c])
    // Symbolic dims: T vs a fixed 3 is accepted statically (checked at run time).
    XCTAssertNil(add(a, input("t", .float64, ["T", 4])).failure)
  }

  func testOperatorsTakeTheLocationOfTheEnclosingScope() {
    let a = input("a", .float64, [3])
    let c = input("c", .float64, [4])
    let line = #line + 1
    let z = withSourceLocation { a * c }
    assertFailed(z, line: line, ["mul", "f64[3]", "f64[4]"], inputs: [a, c])
    // Without a scope, the call stack finds the operator's line (debug builds carry the line tables).
    let bareLine = #line + 1
    let bare = a - c
    XCTAssertTrue(
      bare.failure?.description.hasPrefix("SketchTests/GraphErrorTests.swift:\(bareLine): error in sub") ?? false,
      "\(String(describing: bare.failure))")
  }

  func testReshapeOfTheWrongElementCount() {
    let a = input("a", .float32, [3, 4])
    let line = #line + 1
    let z = reshape(a, [5, 2])
    assertFailed(z, line: line, ["reshape", "f32[3,4]", "12 elements", "[5,2]", "10 elements"], inputs: [a])
    let line2 = #line + 1
    let z2 = reshape(a, [5, -1])
    assertFailed(z2, line: line2, ["reshape", "12 elements", "f32[3,4]"], inputs: [a])
  }

  func testOtherShapeErrorsNameTheOp() {
    let a = input("a", .float64, [2, 3])
    let cases: [(Var, [String])] = [
      (concatenate([a, input("b", .float64, [3, 3])], axis: 1), ["concat", "f64[2,3]", "f64[3,3]"]),
      (sum(a, axes: [2]), ["sum", "axis 2", "rank 2"]),
      (a[0, 0, 0], ["slice", "3 slice ranges", "rank 2"]),
      (setSlice(a, [.index(0)], input("v", .float64, [2])), ["setSlice", "[2]", "[3]"]),
      (select(a, a, a), ["select", "bool"]),
      (broadcast(a, to: [4, 3]), ["broadcast", "f64[2,3]", "[4,3]"]),
      (exp(input("i", .int32, [2])), ["exp", "int32"]),
    ]
    for (v, fragments) in cases {
      guard let text = v.failure?.description else {
        XCTFail("no failure for \(fragments)")
        continue
      }
      XCTAssertTrue(text.hasPrefix("\(here):"), text)
      for f in fragments { XCTAssertTrue(text.contains(f), "missing \"\(f)\" in:\n\(text)") }
    }
  }

  func testCompileErrors() {
    let x = input("x", .float64, [2])
    let y = input("y", .float64, [2])
    assertThrows(["input 'y'", "not among the function's arguments"]) { try compile(inputs: [x], outputs: [x + y]) }
    assertThrows(["listed twice"]) { try compile(inputs: [x, x], outputs: [x]) }
    assertThrows(["not an input"]) { try compile(inputs: [exp(x)], outputs: [x]) }
    let s = shared(tensor([2], [1, 2]), name: "s")
    assertThrows(["update target must be a shared variable"]) {
      try compile(inputs: [x], outputs: [x], updates: [(x, x)])
    }
    assertThrows(["'s'", "updated twice"]) { try compile(inputs: [x], outputs: [x], updates: [(s, s + x), (s, s)]) }
    assertThrows(["'s'", "f64[2]", "f32[2]"]) { try compile(inputs: [], outputs: [], updates: [(s, s.cast(.float32))]) }
  }

  // MARK: - grad

  func testGradOfAnUnusedInputNamesIt() throws {
    let x = input("x", .float64, [3])
    let w = input("w", .float64, [2, 2])
    let cost = (x * x).sum()
    let line = #line + 2
    let text = assertThrows(["grad", "does not depend on", "'w'", "f64[2,2]", "disconnected: .zero"]) {
      try grad(cost, wrt: [x, w])
    }
    XCTAssertTrue(text?.hasPrefix("\(here):\(line)") ?? false, text ?? "")
    XCTAssertThrowsError(try grad(cost, wrt: [x, w])) { XCTAssertTrue($0 is GraphError) }
    // An input reached only through stopGradient is disconnected too.
    assertThrows(["'x'"]) { try grad(stopGradient(x).sum(), wrt: x) }

    // disconnected: .zero returns zeros of the input's shape.
    let g = try grad(cost, wrt: [x, w], disconnected: .zero)
    let outs = try evaluate(g, [x, w], [tensor([3], [1, 2, 3]), tensor([2, 2], [5, 6, 7, 8])])
    assertTensor(outs[0], .float64, [3], [2, 4, 6])
    assertTensor(outs[1], .float64, [2, 2], [0, 0, 0, 0])
    // Also for a symbolic shape.
    let v = input("v", .float64, ["B", 2])
    let gv = try grad(cost, wrt: v, disconnected: .zero)
    let z = try evaluate1(gv, [x, v], [tensor([3], [1, 2, 3]), tensor([3, 2], [1, 2, 3, 4, 5, 6])])
    assertTensor(z, .float64, [3, 2], [0, 0, 0, 0, 0, 0])
  }

  func testGradOfANonScalarCostIsAnError() {
    let x = input("x", .float64, [3])
    let line = #line + 1
    let text = assertThrows(["grad", "float scalar", "f64[3]", "sum or mean"]) { try grad(x * x, wrt: [x]) }
    XCTAssertTrue(text?.hasPrefix("\(here):\(line)") ?? false, text ?? "")
    let i = input("i", .int32, [3])
    assertThrows(["float scalar", "i32[]"]) { try grad(sum(i), wrt: [x]) }
    // A keepDims reduction is not a scalar either.
    assertThrows(["f64[1]"]) { try grad(sum(x, keepDims: true), wrt: [x]) }
  }

  func testGradWithRespectToAnIntermediate() throws {
    let x = input("x", .float64, [2])
    let h = tanh(x)
    let cost = (h * h).sum()
    let g = try grad(cost, wrt: [h, x])
    let v = [0.3, -1.2]
    let outs = try evaluate(g, [x], [tensor([2], v)])
    let th = v.map { Foundation.tanh($0) }
    assertTensor(outs[0], .float64, [2], th.map { 2 * $0 }, tol: 1e-14)
    assertTensor(outs[1], .float64, [2], th.map { 2 * $0 * (1 - $0 * $0) }, tol: 1e-14)
  }
}
