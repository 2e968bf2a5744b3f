import Codegen
import Foundation
import TestSupport
import XCTest

// Helpers of the optimizer tests: run some passes, compare values with and without them, snapshots.

/// Options that run only the passes named (every other pass off).
func onlyPasses(_ names: String..., verify: Bool = true) -> OptimizerOptions {
  var o = OptimizerOptions(disabled: Set(Pipeline.passNames).subtracting(names), verify: verify)
  o.keepStages = false
  return o
}

/// The optimized graph of `outputs` and the report, for the given options (passes verified).
func optimized(_ outputs: [Var], inputs: [Var], _ options: OptimizerOptions = OptimizerOptions(verify: true)) throws
  -> (
    graph: FunctionGraph, report: OptimizationReport
  )
{
  try optimize(try FunctionGraph(inputs: inputs, outputs: outputs), options: options)
}

/// Runs `outputs` as built and optimized on `args` in the interpreter and asserts that they agree
/// within relative `tol` (absolute floor `tol`); returns (as built, optimized).
@discardableResult
func assertSameValues(
  _ outputs: [Var], inputs: [Var], _ args: [Tensor], options: OptimizerOptions = OptimizerOptions(verify: true),
  tol: Double = 1e-12, file: StaticString = #filePath, line: UInt = #line
) throws -> (reference: [Tensor], optimized: [Tensor]) {
  let g = try FunctionGraph(inputs: inputs, outputs: outputs)
  let reference = try Interpreter.run(g, arguments: args)
  let (o, _) = try optimize(g, options: options)
  let got = try Interpreter.run(o, arguments: args)
  XCTAssertEqual(got.count, reference.count, file: file, line: line)
  for (k, (a, b)) in zip(got, reference).enumerated() {
    XCTAssertEqual(a.shape, b.shape, "output \(k) shape", file: file, line: line)
    XCTAssertEqual(a.dtype, b.dtype, "output \(k) dtype", file: file, line: line)
    assertClose(a.doubles, b.doubles, tol: tol, atol: tol, "output \(k)", file: file, line: line)
  }
  return (reference, got)
}

/// Counts of ops in a graph and all its loop bodies, by a predicate.
func countNodes(_ g: FunctionGraph, recursive: Bool = true, _ match: (Op) -> Bool) -> Int {
  g.nodes.reduce(0) { n, node in
    var c = n + (match(node.op) ? 1 : 0)
    if recursive, case .scan(let spec) = node.op { c += countNodes(spec.bodyGraph, match) }
    return c
  }
}

/// The loop nodes of a graph (outer graph only), in order.
func loops(_ g: FunctionGraph) -> [ScanSpec] {
  g.nodes.compactMap { if case .scan(let s) = $0.op { return s } else { return nil } }
}

func isProduct(_ op: Op) -> Bool {
  switch op {
  case .matmul, .gemm: return true
  default: return false
  }
}

/// Compares `text` with the snapshot file `Snapshots/<name>.txt` next to this file. A missing
/// snapshot is recorded and the test fails; `RECORD_SNAPSHOTS=1` re-records every snapshot.
func assertSnapshot(_ text: String, named name: String, file: StaticString = #filePath, line: UInt = #line) {
  let dir = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Snapshots")
  let url = dir.appendingPathComponent("\(name).txt")
  let record = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1"
  if record || !FileManager.default.fileExists(atPath: url.path) {
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try? text.write(to: url, atomically: true, encoding: .utf8)
    if !record { XCTFail("recorded a new snapshot at \(url.path); run again to compare", file: file, line: line) }
    return
  }
  let expected = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
  if text != expected {
    let a = text.split(separator: "\n", omittingEmptySubsequences: false)
    let b = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let k = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
    XCTFail(
      "snapshot \(name) differs at line \(k + 1):\n  got:      \(k < a.count ? String(a[k]) : "<end>")\n  expected: \(k < b.count ? String(b[k]) : "<end>")\n(RECORD_SNAPSHOTS=1 re-records)",
      file: file, line: line)
  }
}
