import Codegen
import Foundation
import TestSupport
import XCTest

// debugprint of scan graphs: the outer tree first, then "Inner graphs:", each scan's body linked to
// the outer nodes by ids.

final class ScanDebugPrintTests: XCTestCase {
  let file = "SketchTests/ScanDebugPrintTests.swift"

  /// The id label printed for the first line of `text` that contains `marker` (e.g. "A" in "[id A]").
  private func id(of marker: String, in text: String) -> String? {
    guard let line = text.split(separator: "\n").first(where: { $0.contains(marker) }),
      let open = line.range(of: "[id "), let close = line[open.upperBound...].firstIndex(of: "]")
    else { return nil }
    return String(line[open.upperBound..<close])
  }

  private func assertContains(_ text: String, _ parts: [String], file: StaticString = #filePath, line: UInt = #line) {
    for p in parts where !text.contains(p) {
      XCTFail("debugprint lacks \"\(p)\":\n\(text)", file: file, line: line)
    }
  }

  func testScanBodyPrintedAfterOuterGraphLinkedByIds() throws {
    let xs = input("xs", .float64, ["T", 2, 3])
    let h0 = input("h0", .float64, [2, 3])
    let W = shared(Tensor.zeros(.float64, [3, 3]), name: "W")
    let line = #line + 1
    let r = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      let h = tanh(s["x"] + matmul(s["h"], W))
      return ScanStepResult(carries: ["h": h], outputs: ["h": h])
    }
    let text = debugprint(r["h"], r.final["h"])
    assertContains(
      text,
      [
        "output 0:\ntupleElement{1} [id E] f64[T,2,3] 'h'\n └─ scan [id D] i32[tuple]\n",
        "     ├─ input(xs) [id A] f64[T,2,3] 'xs'\n",
        "     ├─ input(h0) [id B] f64[2,3] 'h0'\n",
        "     └─ shared(W) [id C] f64[3,3] 'W'\n",
        "output 1:\ntupleElement{0} [id F] f64[2,3] 'h'\n └─ ··· [id D] i32[tuple]\n",
        "\nInner graphs:\n",
        "scan [id D] (\(file):\(line))\n",
        "  sequence x ← [id A]\n  carry h ← [id B]\n  constant W ← [id C]\n",
        "  → new carry h:\n  tanh [id D.G] f64[2,3]\n",
        "input(x) [id D.B] f64[2,3] 'x'",
        "input(h) [id D.C] f64[2,3] 'h'",
        "input(W) [id D.D] f64[3,3] 'W'",
        "  → output h:\n  ··· [id D.G] f64[2,3]\n",
      ])
    // The inner graphs come after the whole outer graph.
    let inner = try XCTUnwrap(text.range(of: "Inner graphs:"))
    XCTAssertLessThan(try XCTUnwrap(text.range(of: "output 1:")).lowerBound, inner.lowerBound)
    XCTAssertEqual(text.components(separatedBy: "Inner graphs:").count, 2, "one section")
    // The links name the outer nodes' real ids (not just any letters).
    let xsID = try XCTUnwrap(id(of: "input(xs)", in: text))
    let h0ID = try XCTUnwrap(id(of: "input(h0)", in: text))
    let scanID = try XCTUnwrap(id(of: "scan [id", in: text))
    XCTAssertTrue(text.contains("sequence x ← [id \(xsID)]"))
    XCTAssertTrue(text.contains("carry h ← [id \(h0ID)]"))
    XCTAssertTrue(text.contains("\nscan [id \(scanID)] ("))
  }

  func testStepsReverseAndNestedScans() throws {
    let h0 = input("h0", .float64, [2])
    let xs = input("xs", .float64, [4, 2])
    let line = #line + 1
    let r = scan(sequences: ["x": xs], carries: ["h": h0], reverse: true) { s in
      let inner = scan(steps: 2, carries: ["g": s["h"]]) { t in ScanStepResult(carries: ["g": tanh(t["g"] + s["x"])]) }
      return ScanStepResult(carries: ["h": inner.final["g"]])
    }
    let text = debugprint(r.final["h"])
    assertContains(
      text,
      [
        "tupleElement{0} [id D] f64[2] 'h'\n └─ scan{reverse} [id C] i32[tuple]\n",
        "\nInner graphs:\n",
        "scan [id C] reverse (\(file):\(line))\n  sequence x ← [id A]\n  carry h ← [id B]\n",
        // The nested scan is a node of C's body (C.E), listed after C with its own links into C's body.
        "scan [id C.E] (\(file):\(line + 1))\n  steps ← [id C.D]\n  carry g ← [id C.C]\n  constant x ← [id C.B]\n",
        "constant [id C.D] i32[] {2}",
        "input(g) [id C.E.B] f64[2] 'g'",
      ])
    let outer = try XCTUnwrap(text.range(of: "\nscan [id C] reverse"))
    let nested = try XCTUnwrap(text.range(of: "\nscan [id C.E]"))
    XCTAssertLessThan(outer.lowerBound, nested.lowerBound)
  }

  /// After grad, the forward scan lists what it stores for the gradient and the backward loop is a
  /// reverse scan reading it.
  func testGradientGraphShowsStoredValuesAndReverseLoop() throws {
    let xs = input("xs", .float64, ["T", 2, 3])
    let h0 = input("h0", .float64, [2, 3])
    let W = input("W", .float64, [3, 3])
    let r = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      let h = tanh(s["x"] + matmul(s["h"], W))
      return ScanStepResult(carries: ["h": h], outputs: ["h": h])
    }
    let g = try grad(sum(r["h"]), wrt: [W])
    let text = debugprint(g[0])
    assertContains(
      text, [
        "scan{reverse}", "→ stored for the gradient:", "carry dW ←", "→ new carry dW:", "sequence dh.out ←",
        "matmul{AᵀB}",
      ])
    let fwd = try XCTUnwrap(id(of: "└─ scan [id", in: text) ?? id(of: "─ scan [id", in: text))
    XCTAssertTrue(text.contains("\nscan [id \(fwd)] ("), "the forward loop's body is listed:\n\(text)")
    XCTAssertTrue(text.contains("reverse ("), "the backward loop's body is listed")
  }

  /// A failed scan prints its error instead of a tree.
  func testFailedScanPrintsError() {
    let r = scan(steps: 0, carries: ["h": constant(Tensor.zeros(.float64, [2]))]) { s in
      ScanStepResult(carries: ["h": s["h"]])
    }
    let text = debugprint(r.final["h"])
    XCTAssertTrue(text.contains("error in scan"), text)
    XCTAssertTrue(text.contains("zero steps"), text)
  }
}
