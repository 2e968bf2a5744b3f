import Codegen
import Foundation
import TestSupport
import XCTest

/// The gradient of a loop leaves the forward loop as built (it makes a copy that also stores what the
/// backward loop reads), and the optimizer's `scan-merge` runs the forward loop and its copies as one.
final class ScanMergeTests: XCTestCase {
  typealias F = ScanFixtures
  let T = 4, B = 3, I = 2, H = 3

  struct LSTM {
    let xs, W, U, b, h0, c0, mask: Var
    let r: ScanResult
    let args: [Tensor]
    var inputs: [Var] { [xs, W, U, b, h0, c0, mask] }
  }

  func lstm(policy: ScanPolicy = .store, maskBatch: Dim = "B") -> LSTM {
    let (xs, W, U, b, h0, c0) = F.lstmInputs(I: I, H: H)
    let mk = input("mask", .float64, ["T", maskBatch])
    let r = F.lstmScan(xs, h0: h0, c0: c0, W: W, U: U, b: b, H: H, mask: mk, policy: policy)
    let m = Tensor(shape: [T, B], (0..<(T * B)).map { i in i / B < T - (i % B) ? 1.0 : 0.0 })
    let args = [
      F.rnd([T, B, I], 1, std: 1), F.rnd([I, 4 * H], 2), F.rnd([H, 4 * H], 3), F.rnd([4 * H], 4),
      F.rnd([B, H], 5), F.rnd([B, H], 6), m,
    ]
    return LSTM(xs: xs, W: W, U: U, b: b, h0: h0, c0: c0, mask: mk, r: r, args: args)
  }

  func spec(_ node: Var) throws -> ScanSpec {
    guard case .scan(let s) = node.op else { throw XCTSkip("not a loop") }
    return s
  }

  func testGradientLeavesTheForwardLoopAsBuilt() throws {
    let m = lstm()
    let cost = sum(m.r["h"] * m.r["h"])
    let before = try spec(m.r.node)
    let (outputs, types, printed) = (before.bodyOutputs.count, before.outputTypes, debugprint(cost))
    let grads = try grad(cost, wrt: [m.W, m.U, m.xs])
    let after = try spec(m.r.node)
    XCTAssertTrue(before === after)
    XCTAssertEqual(after.bodyOutputs.count, outputs, "no output was added to the loop the user built")
    XCTAssertEqual(after.outputTypes, types)
    XCTAssertEqual(debugprint(cost), printed, "the cost prints as before the gradient was taken")
    // The gradient reads a copy of the forward loop: same operands and body, more outputs.
    let copies = Set(grads.flatMap { topologicalOrder($0) }.compactMap { v -> ObjectIdentifier? in
      guard case .scan(let s) = v.op, s !== before, s.isSameLoop(as: before) else { return nil }
      XCTAssertEqual(v.inputs.map(\.id), m.r.node.inputs.map(\.id))
      XCTAssertGreaterThan(s.bodyOutputs.count, outputs)
      XCTAssertTrue(zip(s.bodyOutputs, before.bodyOutputs).allSatisfy { $0 === $1 }, "the built outputs come first")
      return ObjectIdentifier(v)
    })
    XCTAssertEqual(copies.count, 1, "one copy that stores, shared by every gradient of one grad call")
  }

  func testForwardLoopAndItsCopyRunAsOne() throws {
    for policy in [ScanPolicy.store, .recompute] {
      let m = lstm(policy: policy)
      let cost = sum(m.r["h"] * m.r["h"]) + sum(m.r.final["c"])
      let outs = [cost] + (try grad(cost, wrt: [m.xs, m.W, m.U, m.b, m.h0, m.c0]))
      let built = try FunctionGraph(inputs: m.inputs, outputs: outs)
      XCTAssertEqual(loops(built).count, 3, "as built: the forward loop, its storing copy, the backward loop")
      let (merged, report) = try optimized(outs, inputs: m.inputs, onlyPasses("scan-merge"))
      XCTAssertEqual(loops(merged).count, 2, "\(policy): one forward loop and the backward loop")
      XCTAssertEqual(report.hits("merged loops"), 1)
      // Same values as built, merged alone and through the whole pipeline.
      try assertSameValues(outs, inputs: m.inputs, m.args, options: onlyPasses("scan-merge"), tol: 1e-13)
      try assertSameValues(outs, inputs: m.inputs, m.args, tol: 1e-10)
      let (full, _) = try optimized(outs, inputs: m.inputs)
      XCTAssertEqual(loops(full).count, 2)
    }
  }

  /// Two gradients of one loop store different values; the merged loop outputs all of them.
  func testTwoGradientsStoringDifferentValuesMergeIntoOneLoop() throws {
    let xs = input("xs", .float64, ["T", 3])
    let h0 = input("h0", .float64, [3])
    let w = input("w", .float64, [3])
    let r = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      let h = tanh(s["h"] * w + s["x"])
      return ScanStepResult(carries: ["h": h], outputs: ["a": sin(h * s["x"]), "b": exp(h * w)])
    }
    let costA = sum(r["a"])
    let costB = sum(r["b"])
    let gA = try grad(costA, wrt: [w])
    let gB = try grad(costB, wrt: [w])
    let outs = [costA, costB] + gA + gB
    let inputs = [xs, h0, w]
    let args = [F.rnd([5, 3], 11), F.rnd([3], 12), F.rnd([3], 13)]
    let built = try FunctionGraph(inputs: inputs, outputs: outs)
    let forward = loops(built).filter { !$0.reverse }
    XCTAssertEqual(forward.count, 3, "the loop and one storing copy per grad call")
    let storedA = Set(forward[1].bodyOutputs.dropFirst().map(ObjectIdentifier.init))  // per-step outputs
    let storedB = Set(forward[2].bodyOutputs.dropFirst().map(ObjectIdentifier.init))
    XCTAssertNotEqual(storedA, storedB, "the two gradients store different values")
    let (merged, report) = try optimized(outs, inputs: inputs, onlyPasses("scan-merge"))
    let mergedForward = loops(merged).filter { !$0.reverse }
    XCTAssertEqual(mergedForward.count, 1)
    XCTAssertEqual(report.hits("merged loops"), 2)
    XCTAssertEqual(
      mergedForward[0].bodyGraph.outputs.count, 1 + storedA.union(storedB).count, "the carry, every stored value once")
    try assertSameValues(outs, inputs: inputs, args, options: onlyPasses("scan-merge"), tol: 1e-13)
    try assertSameValues(outs, inputs: inputs, args, tol: 1e-10)
    // Against central differences, through the merged, fully optimized function.
    let f = try compile(inputs: inputs, outputs: [costA, costB])
    let g = try compile(inputs: inputs, outputs: gA + gB)
    let eps = 1e-6
    let analytic = try g.call(args).map { $0.array(Double.self) }
    let wv = args[2].array(Double.self)
    for k in 0..<3 {
      func costs(_ d: Double) throws -> [Double] {
        var v = wv
        v[k] += d
        return try f.call([args[0], args[1], Tensor(shape: [3], v)]).map { $0.doubles[0] }
      }
      let (up, down) = (try costs(eps), try costs(-eps))
      for c in 0..<2 {
        XCTAssertEqual(analytic[c][k], (up[c] - down[c]) / (2 * eps), accuracy: 1e-6, "cost \(c), w[\(k)]")
      }
    }
  }

  /// A nested loop differentiated inside an outer loop's gradient: its copy sits in the outer body
  /// and merges there, after the outer loops merged.
  func testNestedLoopCopiesMergeInsideTheBody() throws {
    let xs = input("xs", .float64, ["T", 2])
    let h0 = input("h0", .float64, [2])
    let w = input("w", .float64, [2])
    let r = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      let inner = scan(steps: 3, carries: ["g": s["h"]]) { t in
        ScanStepResult(carries: ["g": tanh(t["g"] * w + s["x"])])
      }
      return ScanStepResult(carries: ["h": inner.final["g"]], outputs: ["h": inner.final["g"]])
    }
    let cost = sum(r["h"] * r["h"])
    let outs = [cost] + (try grad(cost, wrt: [w, xs, h0]))
    let args = [F.rnd([4, 2], 7), F.rnd([2], 8), F.rnd([2], 9)]
    let (merged, report) = try optimized(outs, inputs: [xs, h0, w], onlyPasses("scan-merge"))
    XCTAssertEqual(report.hits("merged loops"), 2, "the outer loop, then the nested loop in its body")
    let forward = loops(merged).filter { !$0.reverse }
    XCTAssertEqual(forward.count, 1)
    XCTAssertEqual(loops(forward[0].bodyGraph).count, 1, "one nested loop in the forward body")
    try assertSameValues(outs, inputs: [xs, h0, w], args, options: onlyPasses("scan-merge"), tol: 1e-13)
    try assertSameValues(outs, inputs: [xs, h0, w], args, tol: 1e-10)
  }

  /// The mask is a role of the loop, kept when the optimizer adds sequences after it (hoisted
  /// products), so the run-time check of a mask that does not fit the carries still names it.
  func testMaskRoleSurvivesHoisting() throws {
    let m = lstm(maskBatch: "M")
    let cost = sum(m.r["h"] * m.r["h"])
    let (g, report) = try optimized([cost], inputs: m.inputs)
    XCTAssertGreaterThan(report.hits("batched products"), 0)
    let loop = try XCTUnwrap(loops(g).first)
    let maskIndex = try XCTUnwrap(loop.maskIndex)
    XCTAssertGreaterThan(loop.sequenceNames.count, maskIndex + 1, "sequences were added after the mask")
    XCTAssertEqual(loop.sequenceNames[maskIndex], "mask")
    let f = try compile(inputs: m.inputs, outputs: [cost])
    var args = m.args
    args[6] = Tensor.filled(1, dtype: .float64, shape: [T, B + 1])
    assertThrows(["the mask is [4, 4] (batch size 4)", "carry 'h' is [3, 3]"]) { try f.call(args) }
  }
}
