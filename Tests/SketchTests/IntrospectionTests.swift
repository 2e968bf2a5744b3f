import Codegen
import Foundation
import TestSupport
import XCTest

/// What a user reads about a graph and a compiled function: DOT with loop bodies, dims by name,
/// captured constants by value, the compile site in argument errors, the mode and SKETCH_MODE,
/// gradient checks on the native backend.
final class IntrospectionTests: XCTestCase {
  func testDotDrawsLoopBodiesAsClustersLinkedToTheirOperands() throws {
    let xs = input("xs", .float64, ["T", 2])
    let h0 = input("h0", .float64, [2])
    let r = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      let inner = scan(steps: 2, carries: ["g": s["h"]]) { t in ScanStepResult(carries: ["g": tanh(t["g"])]) }
      let h = inner.final["g"] + s["x"]
      return ScanStepResult(carries: ["h": h], outputs: ["y": h * 0.5])
    }
    let g = try FunctionGraph.of([r["y"]])
    let dot = g.dot(name: "loop")
    let lines = dot.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    let loop = try XCTUnwrap(g.nodes.firstIndex { if case .scan = $0.op { return true } else { return false } })
    guard case .scan(let spec) = g.nodes[loop].op else { return XCTFail() }
    let body = spec.bodyGraph
    let (xsId, h0Id) = (g.inputs[0], g.inputs[1])
    let xSlot = body.inputs[1], hSlot = body.inputs[2]
    XCTAssertTrue(lines.contains("subgraph cluster_\(loop)_ {"), dot)
    XCTAssertTrue(lines.contains("n\(xsId) -> n\(loop)_\(xSlot) [style=dashed, label=\"sequence x\"];"), dot)
    XCTAssertTrue(lines.contains("n\(h0Id) -> n\(loop)_\(hSlot) [style=dashed, label=\"carry h\"];"), dot)
    XCTAssertTrue(lines.contains("n\(loop)_\(body.outputs[0]) -> n\(loop) [style=dashed, label=\"new carry h\"];"), dot)
    XCTAssertTrue(lines.contains("n\(loop)_\(body.outputs[1]) -> n\(loop) [style=dashed, label=\"output y\"];"), dot)
    XCTAssertFalse(lines.contains("n\(xsId) -> n\(loop) [label=\"0\"];"), "operands go to the placeholders")
    // The nested loop is a cluster inside the body's cluster, its nodes named by their path.
    let inner = try XCTUnwrap(body.nodes.firstIndex { if case .scan = $0.op { return true } else { return false } })
    let outerOpen = try XCTUnwrap(lines.firstIndex(of: "subgraph cluster_\(loop)_ {"))
    let innerOpen = try XCTUnwrap(lines.firstIndex(of: "subgraph cluster_\(loop)_\(inner)_ {"))
    XCTAssertGreaterThan(innerOpen, outerOpen)
    XCTAssertTrue(lines.contains { $0.hasPrefix("n\(loop)_\(inner)_0 [label=\"input(t) [id ") })
    // Every node is declared once, every edge joins declared nodes, braces balance.
    let declared = lines.filter { $0.hasPrefix("n") && !$0.contains("->") }.map { String($0.prefix { $0 != " " }) }
    XCTAssertEqual(declared.count, Set(declared).count)
    for e in lines where e.contains("->") {
      let parts = e.split(separator: " ")
      XCTAssertTrue(declared.contains(String(parts[0])) && declared.contains(String(parts[2].prefix { $0 != ";" })), e)
    }
    XCTAssertEqual(dot.filter { $0 == "{" }.count, dot.filter { $0 == "}" }.count)
  }

  func testDumpsPrintDimsByName() throws {
    let x = input("x", .float64, ["T", "B", 4])
    let flat = reshape(x, [-1, 4])
    let back = reshape(flat, [.dim(x, 0), .dim(x, 1), 4])
    let text = debugprint(back)
    XCTAssertTrue(text.contains("reshape[T,B,4] [id"), text)
    XCTAssertFalse(text.contains("$1."), text)
    // An anonymous dim is named by its input: axis 0 of `flat` is inferred.
    let y = input("y", .float64, [3, 4])
    let again = broadcast(y, to: [.dim(flat.named("flat"), 0), 3, 4])
    XCTAssertTrue(debugprint(again).contains("broadcast[flat.shape[0],3,4]"), debugprint(again))
  }

  func testCapturedConstantsAreNamedByValue() throws {
    let xs = input("xs", .float64, ["T", 2])
    let h0 = input("h0", .float64, [2])
    let w = constant(tensor([2], [1, 2]))
    let v = constant(tensor([2], [3, 4]))
    let half = constant(0.5, .float64)
    let r = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      ScanStepResult(carries: ["h": s["h"] * w + s["x"] * v * half])
    }
    let text = debugprint(r.final["h"])
    XCTAssertTrue(text.contains("constant constant f64[2] ← [id"), text)
    XCTAssertTrue(text.contains("constant constant f64[2]#2 ← [id"), text)
    XCTAssertTrue(text.contains("constant 0.5 ← [id"), text)
    XCTAssertNil(text.range(of: #"#[0-9]{3,}"#, options: .regularExpression), "no variable ids in names:\n\(text)")
  }

  func testArgumentCountErrorNamesTheCompileSite() throws {
    let x = input("x", .float64, [2])
    let y = input("y", .float64, [2])
    let line = #line + 1
    let f = try compile(inputs: [x, y], outputs: [x + y])
    assertThrows([
      "the function compiled at SketchTests/IntrospectionTests.swift:\(line) takes 2 arguments (x, y), got 1"
    ]) { try f.call([tensor([2], [1, 2])]) }
    XCTAssertEqual(f.location.description, "SketchTests/IntrospectionTests.swift:\(line)")
  }

  func testModeComesFromTheEnvironmentUnlessGivenAndBadValuesAreErrors() throws {
    let saved = ProcessInfo.processInfo.environment["SKETCH_MODE"]
    defer { if let saved { setenv("SKETCH_MODE", saved, 1) } else { unsetenv("SKETCH_MODE") } }
    let x = input("x", .float64, [2])
    setenv("SKETCH_MODE", "interpreter", 1)
    XCTAssertEqual(try compile(inputs: [x], outputs: [x * 2]).mode, .interpreter)
    XCTAssertEqual(try compile(inputs: [x], outputs: [x * 2]).backend, .interpreter)
    XCTAssertEqual(try compile(inputs: [x], outputs: [x * 2], mode: .native).mode, .native, "explicit wins")
    unsetenv("SKETCH_MODE")
    XCTAssertEqual(try compile(inputs: [x], outputs: [x * 2]).mode, .native)
    setenv("SKETCH_MODE", "fast", 1)
    assertThrows(["SKETCH_MODE=fast is not a mode; use one of interpreter, native, debug"]) {
      try compile(inputs: [x], outputs: [x * 2])
    }
  }

  /// checkGradient on the native backend: the optimized graph and the generated C, against central
  /// differences, for a recurrent step with a mask and the mixture-density pieces.
  func testGradientCheckOnTheNativeBackend() throws {
    var rng = SeededGenerator(seed: 5)
    let xs = rng.tensor([4, 3, 2]), h0 = rng.tensor([3, 2]), w = rng.tensor([2, 2])
    let mask = Tensor(shape: [4, 3], [1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0] as [Double])
    for mode in [Mode.native, .interpreter] {
      try checkGradient(at: [xs, h0, w], names: ["xs", "h0", "w"], mode: mode) { v in
        let m = constant(mask)
        let r = scan(sequences: ["x": v[0]], carries: ["h": v[1]], mask: m) { s in
          let h = tanh(matmul(s["h"], v[2]) + s["x"])
          return ScanStepResult(carries: ["h": h], outputs: ["h": h])
        }
        return sum(logSoftmax(r["h"], axis: -1) * expandDims(m, axis: -1)) + sum(softplus(r.final["h"]))
      }
    }
    // A wrong gradient is caught on the native backend too: stopGradient hides a dependence.
    XCTAssertThrowsError(
      try checkGradient(at: [w], mode: .native) { v in sum(v[0] * stopGradient(v[0])) })
  }
}
