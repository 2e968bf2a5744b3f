import Codegen
import Foundation
import TestSupport
import XCTest

/// Golden text of debugprint (a node used twice is printed once, then as `···`) and the DOT output.
final class DebugPrintTests: XCTestCase {
  func testTreeShowsASharedNodeOnce() {
    let x = input("x", .float64, [3])
    let e = exp(x).named("e")
    let y = sum(e * tanh(e))
    let expected = """
      sum{axes=[0]} [id E] f64[]
       └─ mul [id D] f64[3]
           ├─ exp [id B] f64[3] 'e'
           │   └─ input(x) [id A] f64[3] 'x'
           └─ tanh [id C] f64[3]
               └─ ··· [id B] f64[3]

      """
    XCTAssertEqual(debugprint(y), expected)
  }

  func testSeveralOutputsSharedVariablesConstantsAndSymbolicDims() throws {
    let x = input("x", .float32, ["B", 3])
    let w = shared(tensor([3], [1, 2, 3], .float32), name: "w")
    let h = tanh(x * w).named("h")
    let expected = """
      output 0:
      sum{axes=[0, 1]} [id E] f32[]
       └─ tanh [id D] f32[B,3] 'h'
           └─ mul [id C] f32[B,3]
               ├─ input(x) [id A] f32[B,3] 'x'
               └─ shared(w) [id B] f32[3] 'w'
      output 1:
      mul [id G] f32[B,3]
       ├─ ··· [id D] f32[B,3]
       └─ constant [id F] f32[] {2.0}

      """
    XCTAssertEqual(debugprint(h.sum(), h * 2), expected)
    // A compiled function prints the same tree (inputs first, in argument order).
    let f = try compile(inputs: [x], outputs: [h.sum(), h * 2])
    XCTAssertEqual(f.debugDescription, expected)
  }

  func testLocationsAndOpParameters() {
    let x = input("x", .float64, [2, 3])
    let line = #line + 1
    let y = matmul(x, x, transposeB: true)[SliceRange(start: 1, stop: nil, step: -1), 0]
    let text = debugprint(y, showLocations: true)
    let lines = text.split(separator: "\n").map(String.init)
    let at = "SketchTests/DebugPrintTests.swift"
    // A leaf used twice by one op is printed in full both times (only non-leaves become "···").
    XCTAssertEqual(
      lines,
      [
        "slice[1::-1,0] [id C] f64[2]  (\(at):\(line))",
        " └─ matmul{ABᵀ} [id B] f64[2,2]  (\(at):\(line))",
        "     ├─ input(x) [id A] f64[2,3] 'x'  (\(at):\(line - 2))",
        "     └─ input(x) [id A] f64[2,3] 'x'  (\(at):\(line - 2))",
      ], text)
  }

  func testDotHasEveryNodeAndEdge() throws {
    let x = input("x", .float64, [3])
    let e = exp(x).named("e")
    let y = sum(e * tanh(e))
    let dot = try FunctionGraph.of([y]).dot(name: "g")
    XCTAssertTrue(dot.hasPrefix("digraph \"g\" {\n  rankdir=BT;\n"), dot)
    XCTAssertTrue(dot.hasSuffix("}\n"))
    let expectedLines = [
      "  n0 [label=\"input(x) [id A] f64[3] 'x'\", style=filled, fillcolor=\"#d8e8ff\"];",
      "  n1 [label=\"exp [id B] f64[3] 'e'\"];",
      "  n2 [label=\"tanh [id C] f64[3]\"];",
      "  n3 [label=\"mul [id D] f64[3]\"];",
      "  n4 [label=\"sum{axes=[0]} [id E] f64[]\", peripheries=2];",
      "  n0 -> n1;",
      "  n1 -> n2;",
      "  n1 -> n3 [label=\"0\"];",
      "  n2 -> n3 [label=\"1\"];",
      "  n3 -> n4;",
    ]
    let lines = Set(dot.split(separator: "\n").map(String.init))
    for l in expectedLines { XCTAssertTrue(lines.contains(l), "missing \(l) in:\n\(dot)") }
    // 5 nodes, 5 edges, nothing else.
    XCTAssertEqual(dot.split(separator: "\n").filter { $0.contains("->") }.count, 5)
    XCTAssertEqual(dot.split(separator: "\n").filter { $0.contains("[label=\"") && !$0.contains("->") }.count, 5)
    // Shared variables are filled; quotes in names are escaped.
    let w = shared(tensor([1], [0.5]), name: "w\"q")
    let dot2 = try FunctionGraph.of([w * 2]).dot()
    XCTAssertTrue(dot2.contains("shared(w\\\"q) [id A] f64[1] 'w\\\"q'\", style=filled, fillcolor=\"#ffe8c8\""), dot2)
  }
}
