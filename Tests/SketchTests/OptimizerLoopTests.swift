import Codegen
import Foundation
import TestSupport
import XCTest

/// The loop passes: each fires where it should and not where it must not, and loops with their
/// gradients (LSTM, GRU, reverse, masks, both gradient policies, nested loops) compute the same
/// values optimized and as built (float64, relative 1e-10: accumulations are summed in another order).
final class OptimizerLoopTests: XCTestCase {
  typealias F = ScanFixtures
  let T = 4, B = 3, I = 2, H = 3

  func lstmGraph(reverse: Bool = false, mask: Bool = false, policy: ScanPolicy = .store) throws -> (
    [Var], [Var], [Tensor]
  ) {
    let (xs, W, U, b, h0, c0) = F.lstmInputs(I: I, H: H)
    let mk = input("mask", .float64, ["T", "B"])
    let r = F.lstmScan(
      xs, h0: h0, c0: c0, W: W, U: U, b: b, H: H, reverse: reverse, mask: mask ? mk : nil, policy: policy)
    let cost = sum(r["h"] * r["h"]) + sum(r.final["c"])
    let grads = try grad(cost, wrt: [xs, W, U, b, h0, c0])
    let m = Tensor(shape: [T, B], (0..<(T * B)).map { i in i / B < T - (i % B) ? 1.0 : 0.0 })
    let args = [
      F.rnd([T, B, I], 1, std: 1), F.rnd([I, 4 * H], 2), F.rnd([H, 4 * H], 3), F.rnd([4 * H], 4),
      F.rnd([B, H], 5), F.rnd([B, H], 6), m,
    ]
    return ([cost] + grads, [xs, W, U, b, h0, c0, mk], args)
  }

  func testLSTMGradientsAgreeAndLoopsKeepOneProductPerStep() throws {
    for (reverse, mask) in [(false, false), (true, false), (false, true)] {
      let (outs, ins, args) = try lstmGraph(reverse: reverse, mask: mask)
      try assertSameValues(outs, inputs: ins, args, tol: 1e-10)
      let (g, report) = try optimized(outs, inputs: ins)
      let ls = loops(g)
      XCTAssertEqual(ls.count, 2, "a forward and a gradient loop")
      for l in ls {
        XCTAssertEqual(
          countNodes(l.bodyGraph, isProduct), 1, "one product per step in \(l.reverse ? "reverse " : "")loop")
      }
      // x[t]·W is one product before the loop; Σ x[t]ᵀ·δ[t], Σ h[t-1]ᵀ·δ[t] and δ[t]·Wᵀ after it.
      XCTAssertGreaterThan(report.hits("batched products"), 0)
      XCTAssertEqual(report.hits("accumulations moved out"), 3, "dW, dU and db")
      XCTAssertGreaterThan(report.hits("products moved after the loop"), 0)
      let gradLoop = try XCTUnwrap(ls.first { $0.reverse != reverse })
      XCTAssertEqual(gradLoop.carryNames, ["dh", "dc"], "no weight-gradient carry is left")
    }
  }

  func testRecomputePolicyAgrees() throws {
    let (outs, ins, args) = try lstmGraph(policy: .recompute)
    try assertSameValues(outs, inputs: ins, args, tol: 1e-10)
  }

  func testGRUGradientsAgree() throws {
    let xs = input("xs", .float64, [.fixed(T), .fixed(B), .fixed(I)])
    let W = input("W", .float64, [.fixed(I), .fixed(3 * H)])
    let U = input("U", .float64, [.fixed(H), .fixed(3 * H)])
    let b = input("b", .float64, [.fixed(3 * H)])
    let h0 = input("h0", .float64, [.fixed(B), .fixed(H)])
    let r = F.gruScan(xs, h0: h0, F.GRUWeights(packedW: W, U: U, b: b, H: H), reverse: true)
    let cost = sum(r["h"] * 0.5) + sum(square(r.final["h"]))
    let outs = [cost] + (try grad(cost, wrt: [xs, W, U, b, h0]))
    let args = [
      F.rnd([T, B, I], 11, std: 1), F.rnd([I, 3 * H], 12), F.rnd([H, 3 * H], 13), F.rnd([3 * H], 14),
      F.rnd([B, H], 15),
    ]
    try assertSameValues(outs, inputs: [xs, W, U, b, h0], args, tol: 1e-10)
    let (g, _) = try optimized(outs, inputs: [xs, W, U, b, h0])
    // x·Wz, x·Wr, x·Wn are batched before the loop; h·Uz, h·Ur, (r∘h)·Un stay.
    XCTAssertEqual(countNodes(loops(g)[0].bodyGraph, isProduct), 3)
  }

  func testNestedLoopsAgree() throws {
    let xs = input("xs", .float64, [3, 2, 2])
    let w = input("w", .float64, [2, 2])
    let r = scan(sequences: ["x": xs], carries: ["h": constant(Tensor.zeros(.float64, [2]))]) { s in
      let inner = scan(steps: 2, carries: ["a": s["h"]]) { q in
        ScanStepResult(carries: ["a": tanh(matmul(s["x"], w)[0] * 0.5 + q["a"] * (w[0, 0] * 2.0))])
      }
      return ScanStepResult(carries: ["h": inner.final["a"]], outputs: ["h": inner.final["a"]])
    }
    let cost = sum(square(r["h"]))
    let outs = [cost] + (try grad(cost, wrt: [xs, w]))
    try assertSameValues(outs, inputs: [xs, w], [F.rnd([3, 2, 2], 21), F.rnd([2, 2], 22)], tol: 1e-10)
  }

  func testHoistInvariants() throws {
    let xs = input("xs", .float64, [3, 2])
    let w = input("w", .float64, [2])
    let fires = scan(sequences: ["x": xs], carries: ["h": constant(Tensor.zeros(.float64, [2]))]) { s in
      ScanStepResult(carries: ["h": s["h"] * exp(w * 2.0) + s["x"]])
    }.final["h"]
    var (_, report) = try optimized([fires], inputs: [xs, w], onlyPasses("hoist-invariants"))
    XCTAssertEqual(report.hits("hoisted values"), 1)
    try assertSameValues(
      [fires], inputs: [xs, w], [F.rnd([3, 2], 1), F.rnd([2], 2)], options: onlyPasses("hoist-invariants"))
    let not = scan(sequences: ["x": xs], carries: ["h": constant(Tensor.zeros(.float64, [2]))]) { s in
      ScanStepResult(carries: ["h": s["h"] * w + s["x"]])
    }.final["h"]
    (_, report) = try optimized([not], inputs: [xs, w], onlyPasses("hoist-invariants"))
    XCTAssertEqual(report.hits("hoisted values"), 0)
  }

  func testHoistSequencesOnlyMovesProductsOfSequences() throws {
    let xs = input("xs", .float64, [3, 2, 2])
    let w = input("w", .float64, [2, 2])
    let h0 = constant(Tensor.zeros(.float64, [2, 2]))
    let fires = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      ScanStepResult(carries: ["h": tanh(matmul(s["x"] * 2.0, w) + s["h"])])
    }.final["h"]
    let (g, report) = try optimized([fires], inputs: [xs, w], onlyPasses("hoist-sequences", "scan-prune"))
    XCTAssertEqual(report.hits("batched products"), 1)
    XCTAssertEqual(countNodes(loops(g)[0].bodyGraph, isProduct), 0)
    try assertSameValues(
      [fires], inputs: [xs, w], [F.rnd([3, 2, 2], 3), F.rnd([2, 2], 4)], options: onlyPasses("hoist-sequences"))
    let not = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      ScanStepResult(carries: ["h": tanh(matmul(s["h"], w) + s["x"])])
    }.final["h"]
    let (_, r2) = try optimized([not], inputs: [xs, w], onlyPasses("hoist-sequences"))
    XCTAssertEqual(r2.hits("batched products"), 0, "h[t-1]·W depends on the previous step")
  }

  func testHoistAccumulationsNeedsAPureSum() throws {
    let xs = input("xs", .float64, [3, 2, 2])
    let ys = input("ys", .float64, [3, 2, 2])
    let acc0 = constant(Tensor.zeros(.float64, [2, 2]))
    let fires = scan(sequences: ["x": xs, "y": ys], carries: ["acc": acc0]) { s in
      ScanStepResult(carries: ["acc": s["acc"] + matmul(tanh(s["x"]), s["y"], transposeA: true)])
    }.final["acc"]
    let pass = onlyPasses("hoist-accumulations", "scan-prune")
    let (g, report) = try optimized([fires], inputs: [xs, ys], pass)
    XCTAssertEqual(report.hits("accumulations moved out"), 1)
    XCTAssertEqual(loops(g).first?.carryNames ?? [], [], "the carry is gone")
    let args = [F.rnd([3, 2, 2], 5), F.rnd([3, 2, 2], 6)]
    try assertSameValues([fires], inputs: [xs, ys], args, options: pass, tol: 1e-12)
    let decayed = scan(sequences: ["x": xs, "y": ys], carries: ["acc": acc0]) { s in
      ScanStepResult(carries: ["acc": s["acc"] * 0.9 + matmul(s["x"], s["y"], transposeA: true)])
    }.final["acc"]
    let (_, r2) = try optimized([decayed], inputs: [xs, ys], pass)
    XCTAssertEqual(r2.hits("accumulations moved out"), 0, "acc is scaled, not only added to")
  }

  func testHoistOutputsAndPrune() throws {
    let xs = input("xs", .float64, [3, 2, 2])
    let w = input("w", .float64, [2, 3])
    let h0 = constant(Tensor.zeros(.float64, [2, 2]))
    let r = scan(sequences: ["x": xs], carries: ["h": h0, "unused": h0]) { s in
      let h = tanh(s["x"] + s["h"])
      return ScanStepResult(
        carries: ["h": h, "unused": s["unused"] * 2.0],
        outputs: ["y": matmul(h, w), "z": h * 3.0, "kept": matmul(h, w, transposeB: false) + 1.0])
    }
    let outs = [r["y"], r.final["h"]]
    let (g, report) = try optimized(outs, inputs: [xs, w], onlyPasses("hoist-outputs", "scan-prune"))
    XCTAssertEqual(report.hits("products moved after the loop"), 1)
    XCTAssertEqual(report.hits("dropped carries"), 1, "'unused' is read by nothing")
    XCTAssertEqual(loops(g)[0].carryNames, ["h"])
    XCTAssertEqual(loops(g)[0].outputNames.count, 1, "outputs z and kept are not read")
    XCTAssertEqual(countNodes(loops(g)[0].bodyGraph, isProduct), 0)
    try assertSameValues(
      outs, inputs: [xs, w], [F.rnd([3, 2, 2], 7), F.rnd([2, 3], 8)],
      options: onlyPasses("hoist-outputs", "scan-prune"))
    // A product the carry also reads stays in the loop.
    let r2 = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      let p = matmul(tanh(s["x"] + s["h"]), constant(Tensor.zeros(.float64, [2, 2])) + 0.5)
      return ScanStepResult(carries: ["h": p], outputs: ["p": p])
    }
    let (_, rep2) = try optimized([r2["p"]], inputs: [xs], onlyPasses("hoist-outputs"))
    XCTAssertEqual(rep2.hits("products moved after the loop"), 0)
  }

  /// A carry whose final value nobody reads is kept when a read output depends on it.
  func testPruneKeepsCarriesThatOutputsNeed() throws {
    let xs = input("xs", .float64, [3, 2])
    let r = scan(
      sequences: ["x": xs],
      carries: ["a": constant(Tensor.zeros(.float64, [2])), "b": constant(Tensor.zeros(.float64, [2]))]
    ) { s in
      ScanStepResult(carries: ["a": s["a"] + s["x"], "b": s["b"] + 1.0], outputs: ["y": s["a"] * 2.0])
    }
    let (g, _) = try optimized([r["y"]], inputs: [xs], onlyPasses("scan-prune"))
    XCTAssertEqual(loops(g)[0].carryNames, ["a"])
    try assertSameValues([r["y"]], inputs: [xs], [F.rnd([3, 2], 9)], options: onlyPasses("scan-prune"))
  }
}
