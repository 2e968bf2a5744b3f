import ArgumentParser
import Codegen
import Foundation
import TestSupport
import XCTest

@testable import Sketch

/// The pipeline as a whole: its order, switching passes off (API and SKETCH_OPT), statistics,
/// stages, dumps, and what `compile` exposes.
final class OptimizerPipelineTests: XCTestCase {
  func testOnePipelineInOrder() {
    XCTAssertEqual(
      Pipeline.passNames,
      [
        "scan-merge", "canonicalize", "constant-folding", "simplify", "stabilize", "scan-prune", "scan-fission",
        "hoist-invariants", "hoist-sequences", "hoist-accumulations", "hoist-outputs", "gemm", "fusion",
      ])
    XCTAssertEqual(Pipeline.passes().count, 16, "scan-prune, simplify and constant-folding run twice")
  }

  func testOptionsFromText() throws {
    let o = try OptimizerOptions.parse("-fusion,-hoist")
    XCTAssertFalse(o.runs("fusion"))
    XCTAssertFalse(o.runs("hoist-invariants"))
    XCTAssertFalse(o.runs("hoist-accumulations"))
    XCTAssertTrue(o.runs("gemm"))
    XCTAssertTrue(o.runs("scan-prune"))
    XCTAssertFalse(try OptimizerOptions.parse("none").enabled)
    XCTAssertTrue(try OptimizerOptions.parse("verify").verify)
    XCTAssertTrue(try OptimizerOptions.parse("-memory-plan").disabled.contains("memory-plan"))
    assertThrows(["unknown optimizer pass 'fuse'", "fusion"]) { try OptimizerOptions.parse("-fuse") }
  }

  func testSwitchingPassesOff() throws {
    let x = input("x", .float64, [2, 3])
    let w = input("w", .float64, [3, 3])
    let y = tanh(matmul(x, w) + 1.0) * 2.0
    let all = try compile(inputs: [x, w], outputs: [y], mode: .interpreter, optimizer: .all)
    XCTAssertEqual(countNodes(all.optimizedGraph) { $0.isElementwise }, 0)
    XCTAssertEqual(countNodes(all.optimizedGraph) { if case .gemm = $0 { return true } else { return false } }, 1)
    let noFusion = try compile(inputs: [x, w], outputs: [y], mode: .interpreter, optimizer: try .parse("-fusion"))
    XCTAssertGreaterThan(countNodes(noFusion.optimizedGraph) { $0.isElementwise }, 0)
    XCTAssertFalse(noFusion.optimization.passes.first { $0.name == "fusion" }!.ran)
    let none = try compile(inputs: [x, w], outputs: [y], mode: .interpreter, optimizer: .none)
    XCTAssertEqual(none.optimizedGraph.nodes.count, none.graph.nodes.count)
    XCTAssertTrue(none.optimization.passes.isEmpty)
    var rng = SeededGenerator(seed: 1)
    let args = [rng.tensor([2, 3]), rng.tensor([3, 3])]
    let a = try all.call(args)[0]
    let b = try noFusion.call(args)[0]
    let c = try none.call(args)[0]
    assertClose(a.doubles, c.doubles, tol: 1e-14)
    assertClose(b.doubles, c.doubles, tol: 1e-14)
  }

  func testEnvironmentVariable() throws {
    setenv("SKETCH_OPT", "-fusion,-gemm", 1)
    defer { unsetenv("SKETCH_OPT") }
    XCTAssertFalse(OptimizerOptions.default.runs("fusion"))
    let x = input("x", .float64, [2])
    let f = try compile(inputs: [x], outputs: [exp(x) * 2.0], mode: .interpreter)
    XCTAssertEqual(countNodes(f.optimizedGraph) { if case .fused = $0 { return true } else { return false } }, 0)
  }

  func testStatisticsAndStages() throws {
    let x = input("x", .float64, [4])
    let y = exp(log(x)) * 1.0 + sigmoid(x)
    var options = OptimizerOptions(keepStages: true, verify: true)
    options.keepStages = true
    let (g, report) = try optimized([y], inputs: [x], options)
    XCTAssertEqual(report.passes.count, Pipeline.passes().count)
    XCTAssertEqual(report.stages.count, report.passes.count + 1, "the graph as built, then one per pass")
    for (p, q) in zip(report.passes, report.passes.dropFirst()) { XCTAssertEqual(p.nodesAfter, q.nodesBefore) }
    XCTAssertEqual(report.passes.last!.nodesAfter, g.totalNodeCount)
    XCTAssertEqual(report.hits("exp-log"), 1)
    XCTAssertEqual(report.hits("mul-one"), 1)
    XCTAssertTrue(report.description.contains("simplify: "))
    XCTAssertTrue(report.description.contains("exp-log ×1"))
  }

  func testDumpFromTheAPI() throws {
    let x = input("x", .float32, ["B", 3])
    let w = shared(Tensor.zeros(.float32, [3, 2]), name: "w")
    let g = try FunctionGraph(inputs: [x], outputs: [sum(tanh(matmul(x, w) + 1.0))])
    let text = try dump(g, stage: .all, format: .text, dims: ["B": 8], options: .all)
    XCTAssertTrue(text.contains("== unoptimized: "))
    XCTAssertTrue(text.contains("== fusion: "))
    XCTAssertTrue(text.contains("memory plan: arena"))
    XCTAssertTrue(text.contains("optimizer: "))
    let dot = try dump(g, stage: .optimized, format: .dot, options: .all)
    XCTAssertTrue(dot.hasPrefix("digraph \"optimized\""))
    XCTAssertTrue(dot.contains("fused{"))
    assertThrows(["needs a size for dim 'B'"]) { try dump(g, dims: [:], options: .all) }
  }

  func testDumpGraphCommand() throws {
    var cmd = try XCTUnwrap(
      try SketchCommand.parseAsRoot([
        "dump-graph", "--depth", "1", "--dim", "8", "--mix-dim", "2", "--GRU", "--bs", "2", "--max-length", "4",
        "--summary", "--opt=-fusion",
      ]) as? DumpGraph)
    XCTAssertEqual(cmd.modelConfig.gru, true)
    XCTAssertEqual(cmd.stage, .optimized)
    try cmd.run()
    cmd.sampling = true
    try cmd.run()
  }
}
