import Codegen
import Foundation
import TestSupport
import XCTest

@testable import Sketch

/// The shape of the optimized handwriting training graph (2 LSTM layers of 32, 5 mixtures): one
/// matrix product per layer per step in the forward and in the gradient loops, weight gradients
/// computed after the loops, every elementwise op in a fused kernel, and a memory plan that reuses
/// memory and never gives two live buffers the same bytes.
final class OptimizerStructureTests: XCTestCase {
  static let config = ModelConfig(depth: 2, dim: 32, mixDim: 5, uniform: 0.08)

  func trainingFunction() throws -> Function {
    let model = HandwritingModel(config: Self.config, seed: 0)
    return try TrainingGraphs(model: model, rule: .adam(learningRate: 1e-3), maxGrad: 10).train
  }

  func testOneProductPerLayerPerStepAndWeightGradientsOutside() throws {
    let f = try trainingFunction()
    let g = f.optimizedGraph
    let ls = loops(g)
    XCTAssertEqual(ls.count, 4, "two forward and two gradient loops")
    for l in ls {
      XCTAssertEqual(
        countNodes(l.bodyGraph, isProduct), 1,
        "loop \(l.reverse ? "(gradient)" : "(forward)"): \(l.bodyGraph.debugDescription())")
    }
    let forward = ls.filter { !$0.reverse }
    let backward = ls.filter(\.reverse)
    XCTAssertEqual(forward.count, 2)
    XCTAssertEqual(backward.count, 2)
    // The gradient loops carry the state adjoints only: no weight-gradient accumulator is left.
    for l in backward { XCTAssertEqual(l.carryNames.count, 2, "\(l.carryNames)") }
    // dU of each layer is one product of all steps (Hᵀ·Δ) in the outer graph; as built it was a carry.
    let asBuilt = loops(f.graph).filter(\.reverse)
    XCTAssertTrue(asBuilt.allSatisfy { $0.carryNames.count > 2 }, "\(asBuilt.map(\.carryNames))")
    let outerProducts = g.nodes.filter { if case .matmul(true, false) = $0.op { return true } else { return false } }
    XCTAssertGreaterThanOrEqual(outerProducts.count, 2 + 2, "Hᵀ·Δ per layer, xᵀ·δ for W per layer")
    XCTAssertTrue(f.optimization.passes.allSatisfy { !$0.limitReached })
  }

  func testNoElementwiseOpOutsideAKernel() throws {
    let g = try trainingFunction().optimizedGraph
    XCTAssertEqual(countNodes(g) { $0.isElementwise }, 0)
    XCTAssertGreaterThan(countNodes(g) { if case .fused = $0 { return true } else { return false } }, 10)
    let s = GraphSummary(g)
    XCTAssertEqual(s.looseElementwise, 0)
    XCTAssertEqual(s.productsPerLoop, [1, 1, 1, 1])
  }

  func testMemoryPlanReusesAndNeverOverlapsLiveBuffers() throws {
    let f = try trainingFunction()
    let plan = try f.memoryPlan(dims: ["T1": 21, "T": 20, "B": 4])
    XCTAssertLessThan(plan.arenaBytes, plan.unplannedBytes)
    XCTAssertGreaterThanOrEqual(plan.arenaBytes, plan.peakLiveBytes)
    XCTAssertGreaterThan(plan.storedForGradientBytes, 0)
    XCTAssertLessThanOrEqual(plan.storedForGradientBytes, plan.peakLiveBytes)
    XCTAssertGreaterThan(plan.aliasCount, 0, "reshapes, slice views and concatenation parts share buffers")
    XCTAssertGreaterThan(plan.loopBytes, 0)
    // Buffers whose lifetimes overlap occupy disjoint bytes.
    let bs = plan.buffers
    for i in bs.indices {
      for j in bs.indices where j > i {
        let (a, b) = (bs[i], bs[j])
        let timeOverlap = a.start <= b.end && b.start <= a.end
        let memOverlap = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes
        XCTAssertFalse(timeOverlap && memOverlap, "buffers of nodes \(a.node) and \(b.node) overlap in time and memory")
      }
      XCTAssertLessThanOrEqual(bs[i].offset + bs[i].bytes, plan.arenaBytes)
    }
    // The plan is the one that runs: the native program's arena for these arguments is this size.
    let args = [Tensor.zeros(.float32, [21, 4, 3]), Tensor.zeros(.float32, [20, 4]), Tensor.zeros(.int32, [2])]
    XCTAssertEqual(try f.memoryPlan(arguments: args).arenaBytes, plan.arenaBytes)
    XCTAssertNotEqual(f.mode, .interpreter)
    _ = try f.call(args)
    XCTAssertEqual(f.nativeArenaBytes, plan.arenaBytes)
  }

  func testSamplingGraphIsOptimizedToo() throws {
    let model = HandwritingModel(config: Self.config, seed: 0)
    let f = try compileSampler(model: model, steps: 5, batch: 2)
    let s = GraphSummary(f.optimizedGraph)
    XCTAssertEqual(s.looseElementwise, 0)
    XCTAssertEqual(s.loops, 1)
    // Two layers' recurrent products and input products, and the readout, per step.
    XCTAssertLessThanOrEqual(s.productsPerLoop[0], 5)
    let plan = try f.memoryPlan(dims: [:])
    XCTAssertLessThanOrEqual(plan.arenaBytes, plan.unplannedBytes)
    // The same strokes with and without the optimizer (same keys, same draws).
    let key = RandomKey(seed: 3).tensor
    let a = try f.call([key, Tensor(scalar: Float(0.5))])[0]
    let g = try Interpreter.run(f.graph, arguments: [key, Tensor(scalar: Float(0.5))])[0]
    assertClose(a.doubles, g.doubles, tol: 1e-4, atol: 1e-4)
  }
}
