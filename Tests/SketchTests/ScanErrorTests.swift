import Codegen
import Foundation
import TestSupport
import XCTest

// Edge cases and mistakes: T = 1 and T = 0, carries that change type, missing or unknown names,
// sequences of different lengths. Errors must say what is wrong and point at the user's scan call.

final class ScanErrorTests: XCTestCase {
  let B = 2, D = 3
  let file = "SketchTests/ScanErrorTests.swift"

  private func rnn(_ xs: Var, _ h0: Var, steps: Var? = nil) -> ScanResult {
    scan(sequences: ["x": xs], carries: ["h": h0], steps: steps) { s in
      let h = tanh(s["x"] + s["h"] * 0.5)
      return ScanStepResult(carries: ["h": h], outputs: ["h": h])
    }
  }

  // MARK: T = 1 and T = 0

  func testOneStep() throws {
    let xs = input("xs", .float64, ["T", .fixed(B), .fixed(D)])
    let h0 = input("h0", .float64, [.fixed(B), .fixed(D)])
    let r = rnn(xs, h0)
    let x0 = ScanFixtures.rnd([1, B, D], 1)
    let h00 = ScanFixtures.rnd([B, D], 2)
    let out = try evaluate([r["h"], r.final["h"]], [xs, h0], [x0, h00])
    let expected = zip(x0.doubles, h00.doubles).map { Foundation.tanh($0 + $1 * 0.5) }
    assertTensor(out[0], .float64, [1, B, D], expected, tol: 1e-15)
    assertTensor(out[1], .float64, [B, D], expected, tol: 1e-15)
    // steps: 1 with no sequences, reverse too.
    for reverse in [false, true] {
      let r1 = scan(steps: 1, carries: ["h": constant(h00)], reverse: reverse) { s in
        ScanStepResult(carries: ["h": s["h"] * 2.0], outputs: ["t": s.index])
      }
      let o = try evaluate([r1.final["h"], r1["t"]])
      assertTensor(o[0], .float64, [B, D], h00.doubles.map { $0 * 2 })
      assertTensor(o[1], .int32, [1], [0])
    }
  }

  /// A sequence with zero steps at run time: a RuntimeError that says so and names the scan's line.
  func testZeroStepsAtRunTime() throws {
    let xs = input("xs", .float64, ["T", .fixed(B), .fixed(D)])
    let h0 = input("h0", .float64, [.fixed(B), .fixed(D)])
    let line = #line + 1
    let r = scan(sequences: ["x": xs], carries: ["h": h0]) { s in ScanStepResult(carries: ["h": s["h"] + s["x"]]) }
    let f = try compile(inputs: [xs, h0], outputs: [r.final["h"]])
    let text = assertThrows(["0 steps", "at least one step", "\(file):\(line)"]) {
      try f.call([Tensor.zeros(.float64, [0, B, D]), Tensor.zeros(.float64, [B, D])])
    }
    XCTAssertNotNil(text)
    do {
      _ = try f.call([Tensor.zeros(.float64, [0, B, D]), Tensor.zeros(.float64, [B, D])])
    } catch {
      XCTAssertTrue(error is RuntimeError, "a run-time error, got \(type(of: error))")
    }
    // A steps argument of 0 (or less) at run time.
    let n = input("n", .int32, [])
    let line2 = #line + 1
    let r2 = scan(carries: ["h": h0], steps: n) { s in ScanStepResult(carries: ["h": s["h"] * 2.0]) }
    let g = try compile(inputs: [n, h0], outputs: [r2.final["h"]])
    assertThrows(["0 steps", "\(file):\(line2)"]) {
      try g.call([Tensor(scalar: Int32(0)), Tensor.zeros(.float64, [B, D])])
    }
    assertThrows(["-2 steps", "at least one step"]) {
      try g.call([Tensor(scalar: Int32(-2)), Tensor.zeros(.float64, [B, D])])
    }
    // ... while a positive count runs.
    assertTensor(
      try g.call([Tensor(scalar: Int32(3)), Tensor.filled(1, dtype: .float64, shape: [B, D])])[0], .float64, [B, D],
      [Double](repeating: 8, count: B * D))
  }

  /// `scan(steps: 0, ...)` and a sequence with a static length of 0 are graph errors at build time.
  func testZeroStepsAtBuildTime() throws {
    let line = #line + 1
    let r = scan(steps: 0, carries: ["h": constant(Tensor.zeros(.float64, [B, D]))]) { s in
      ScanStepResult(carries: ["h": s["h"] + 1.0])
    }
    assertThrows(["zero steps", "\(file):\(line)", "error in scan"]) { try r.final["h"].check() }
    do {
      try r.final["h"].check()
    } catch {
      XCTAssertTrue(error is GraphError, "a graph error, got \(type(of: error))")
    }
    assertThrows(["zero steps"]) { try compile(inputs: [], outputs: [r.final["h"]]) }
    let r2 = rnn(constant(Tensor.zeros(.float64, [0, B, D])), constant(Tensor.zeros(.float64, [B, D])))
    assertThrows(["zero steps"]) { try r2["h"].check() }
  }

  // MARK: Carries

  /// A carry whose returned type differs from its initial value: names the carry, both types and the
  /// user's file:line of the scan call.
  func testCarryTypeChangeIsGraphError() throws {
    let xs = input("xs", .float64, ["T", .fixed(B), .fixed(D)])
    let h0 = input("h0", .float64, [.fixed(B), .fixed(D)])
    let W = input("W", .float64, [.fixed(D), 5])
    let line = #line + 1
    let r = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      ScanStepResult(carries: ["h": matmul(s["h"], W)], outputs: ["y": s["x"]])
    }
    let text = assertThrows(["carry 'h'", "f64[2,3]", "f64[2,5]", "\(file):\(line)", "must keep its type"]) {
      try compile(inputs: [xs, h0, W], outputs: [r["y"]])
    }
    XCTAssertNotNil(text)
    // A dtype change is named the same way.
    let line2 = #line + 1
    let r2 = scan(sequences: ["x": xs], carries: ["h": h0]) { s in ScanStepResult(carries: ["h": s["h"].cast(.float32)])
    }
    assertThrows(["carry 'h'", "f64[2,3]", "f32[2,3]", "\(file):\(line2)"]) { try r2.final["h"].check() }
    // A rank change too.
    let r3 = scan(sequences: ["x": xs], carries: ["h": h0]) { s in ScanStepResult(carries: ["h": s["h"].sum(axes: [1])])
    }
    assertThrows(["carry 'h'", "f64[2,3]", "f64[2]"]) { try r3.final["h"].check() }
  }

  func testMissingAndUnknownCarries() throws {
    let xs = constant(Tensor.zeros(.float64, [4, B, D]))
    let h0 = constant(Tensor.zeros(.float64, [B, D]))
    let line = #line + 1
    let r = scan(sequences: ["x": xs], carries: ["h": h0, "c": h0]) { s in ScanStepResult(carries: ["h": s["x"]]) }
    assertThrows(["did not return carry 'c'", "\(file):\(line)"]) { try r.final["h"].check() }
    let r2 = scan(sequences: ["x": xs], carries: ["h": h0]) { s in ScanStepResult(carries: ["h": s["x"], "z": s["h"]]) }
    assertThrows(["carry 'z'", "does not have", "carries: h"]) { try r2.final["h"].check() }
    // A final carry or an output that the scan does not have, asked on the result.
    let r3 = rnn(xs, h0)
    assertThrows(["no carry 'nope'", "have: h"]) { try r3.final["nope"].check() }
    assertThrows(["no per-step output 'hh'", "have: h"]) { try r3["hh"].check() }
  }

  /// Asking the step for a name the scan does not have.
  func testUnknownNameInStep() throws {
    let xs = constant(Tensor.zeros(.float64, [4, B, D]))
    let h0 = constant(Tensor.zeros(.float64, [B, D]))
    let line = #line + 1
    let r = scan(sequences: ["x": xs], carries: ["h": h0], constants: ["k": h0]) { s in
      ScanStepResult(carries: ["h": s["h"] + s["nope"]])
    }
    assertThrows(["asked for 'nope'", "not a sequence, carry or constant", "have: h, k, x", "\(file):\(line)"]) {
      try r.final["h"].check()
    }
    // Also when the bad name only feeds a per-step output.
    let r2 = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      ScanStepResult(carries: ["h": s["h"]], outputs: ["o": s["X"]])
    }
    assertThrows(["asked for 'X'"]) { try r2["o"].check() }
  }

  /// A type error inside the step points at the scan call (operators there record its line).
  func testErrorInsideStepPointsAtScan() throws {
    let xs = constant(Tensor.zeros(.float64, [4, B, D]))
    let h0 = constant(Tensor.zeros(.float64, [B, 4]))
    let line = #line + 1
    let r = scan(sequences: ["x": xs], carries: ["h": h0]) { s in ScanStepResult(carries: ["h": s["h"] + s["x"]]) }
    assertThrows(["\(file):\(line)", "add"]) { try r.final["h"].check() }
  }

  // MARK: Sequences and arguments

  func testMismatchedSequenceLengths() throws {
    // Static: both lengths known.
    let line = #line + 1
    let r = scan(sequences: [
      "x": constant(Tensor.zeros(.float64, [5, B])), "y": constant(Tensor.zeros(.float64, [4, B])),
    ]) { s in
      ScanStepResult(outputs: ["s": s["x"] + s["y"]])
    }
    assertThrows(["sequence 'y' has 4 steps", "5", "\(file):\(line)"]) { try r["s"].check() }
    // A static length against a steps count.
    let r2 = scan(
      sequences: ["x": constant(Tensor.zeros(.float64, [5, B]))], steps: constant(Tensor(scalar: Int32(3)))
    ) { s in
      ScanStepResult(outputs: ["s": s["x"]])
    }
    assertThrows(["sequence 'x' has 5 steps", "3"]) { try r2["s"].check() }
    // At run time: two symbolic lengths that turn out different.
    let x = input("x", .float64, ["T", .fixed(B)])
    let y = input("y", .float64, ["U", .fixed(B)])
    let line3 = #line + 1
    let r3 = scan(sequences: ["x": x, "y": y]) { s in ScanStepResult(outputs: ["s": s["x"] + s["y"]]) }
    let f = try compile(inputs: [x, y], outputs: [r3["s"]])
    assertThrows(["sequence 'y' has 4 steps but the scan runs 5", "\(file):\(line3)"]) {
      try f.call([Tensor.zeros(.float64, [5, B]), Tensor.zeros(.float64, [4, B])])
    }
    // Equal lengths run.
    let ok = try f.call([
      Tensor.filled(1, dtype: .float64, shape: [3, B]), Tensor.filled(2, dtype: .float64, shape: [3, B]),
    ])
    assertTensor(ok[0], .float64, [3, B], [Double](repeating: 3, count: 3 * B))
  }

  func testBadScanArguments() throws {
    let h0 = constant(Tensor.zeros(.float64, [B, D]))
    let r = scan(carries: ["h": h0]) { s in ScanStepResult(carries: ["h": s["h"]]) }
    assertThrows(["needs sequences or a step count"]) { try r.final["h"].check() }
    let r2 = scan(carries: ["h": h0], steps: constant(3, .float64)) { s in ScanStepResult(carries: ["h": s["h"]]) }
    assertThrows(["steps must be an int32 scalar", "f64[]"]) { try r2.final["h"].check() }
    let r3 = scan(sequences: ["h": constant(Tensor.zeros(.float64, [4, B]))], carries: ["h": h0]) { s in
      ScanStepResult(carries: ["h": s["h"]])
    }
    assertThrows(["'h' is used twice"]) { try r3.final["h"].check() }
    let r4 = scan(sequences: ["x": constant(Tensor(scalar: 1.0))]) { s in ScanStepResult(outputs: ["y": s["x"]]) }
    assertThrows(["sequence 'x'", "leading time axis"]) { try r4["y"].check() }
  }

  /// A carry whose size changes at run time (its type has a symbolic dim) is caught by the loop.
  func testCarryShapeChangeAtRunTime() throws {
    let v = input("v", .float64, ["n"])
    let line = #line + 1
    let r = scan(steps: 2, carries: ["v": v]) { s in ScanStepResult(carries: ["v": s["v"][1...]]) }
    XCTAssertNil(r.final["v"].failure, "the symbolic size is only known at run time")
    let f = try compile(inputs: [v], outputs: [r.final["v"]])
    assertThrows(["carry 'v'", "[4]", "[3]", "\(file):\(line)"]) { try f.call([Tensor(shape: [4], [1.0, 2, 3, 4])]) }
  }
}
