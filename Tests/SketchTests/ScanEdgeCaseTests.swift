import Codegen
import Foundation
import TestSupport
import XCTest

// Less common shapes of scan: variables read both as slots and captured, integer carries and
// sequences, carries the body ignores or passes through, no carries at all, a run-time step count,
// masks on reverse scans, float32 gradients; and a check that the gradient checker does catch a
// broken gradient through scan.

final class ScanEdgeCaseTests: XCTestCase {
  typealias F = ScanFixtures
  let T = 4, B = 2, D = 3

  private func check(
    _ what: String, at points: [Tensor], file: StaticString = #filePath, line: UInt = #line, _ build: ([Var]) -> Var
  ) {
    do {
      try checkGradient(at: points, build)
    } catch {
      XCTFail("\(what): \(error)", file: file, line: line)
    }
  }

  /// The checker is not vacuous through scan: cutting the carry's gradient with stopGradient inside
  /// the step (the value is unchanged) makes it fail for the initial state and the weight.
  func testCheckerCatchesABrokenGradientThroughScan() {
    let pts = [F.rnd([T, B, D], 1, std: 1), F.rnd([D, D], 2), F.rnd([B, D], 3)]
    XCTAssertThrowsError(
      try checkGradient(at: pts, names: ["xs", "U", "h0"]) { v in
        scan(sequences: ["x": v[0]], carries: ["h": v[2]]) { s in
          let h = tanh(s["x"] + matmul(stopGradient(s["h"]), v[1]))
          return ScanStepResult(carries: ["h": h], outputs: ["h": h])
        }["h"]
      }
    ) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("gradient check failed"), text)
      XCTAssertTrue(text.contains("('h0')"), text)
      XCTAssertTrue(text.contains("('U')"), text)
    }
  }

  /// The outer sequence is also read whole inside the step (captured), an explicit constant is also
  /// captured implicitly, and the initial carry is also read inside the step: every path adds up.
  func testVariablesReadThroughSeveralPaths() {
    let pts = [F.rnd([T, B, D], 11, std: 1), F.rnd([D, D], 12), F.rnd([B, D], 13)]
    for policy in [ScanPolicy.store, .recompute] {
      check("several paths, \(policy)", at: pts) { v in
        let xs = v[0]
        let U = v[1]
        let h0 = v[2]
        let r = scan(sequences: ["x": xs], carries: ["h": h0], constants: ["U": U], policy: policy) { s in
          let ctx = xs.mean(axes: [0])  // the whole sequence, captured
          let h = tanh(s["x"] + matmul(s["h"], s["U"]) * 0.5 + matmul(ctx, U) * 0.3 + h0 * 0.2)
          return ScanStepResult(carries: ["h": h], outputs: ["h": h])
        }
        return r["h"]
      }
    }
  }

  /// An int32 counter carry next to a float carry; per-step outputs that are the previous carry slot
  /// itself and a captured weight (step-independent).
  func testIntegerCarryAndSlotOutputs() throws {
    let pts = [F.rnd([T, B, D], 21, std: 1), F.rnd([D, D], 22), F.rnd([B, D], 23)]
    for policy in [ScanPolicy.store, .recompute] {
      check("int carry, \(policy)", at: pts) { v in
        let r = scan(
          sequences: ["x": v[0]], carries: ["h": v[2], "n": constant(Tensor(scalar: Int32(1)))], policy: policy
        ) { s in
          let h = tanh(s["x"] + matmul(s["h"], v[1])) * s["n"].cast(.float64)
          return ScanStepResult(
            carries: ["h": h * 0.5, "n": s["n"] + constant(Tensor(scalar: Int32(1)))],
            outputs: ["prev": s["h"], "W": v[1], "h": h])
        }
        return r["prev"].sum(axes: [0]) + r["W"].sum(axes: [0]).sum() + r["h"].sum(axes: [0])
      }
    }
    // Values: n counts 1, 2, ...; "W" is stacked T times; "prev" lags "h" by one step.
    let r = scan(
      sequences: ["x": constant(pts[0])], carries: ["h": constant(pts[2]), "n": constant(Tensor(scalar: Int32(1)))]
    ) { s in
      let h = tanh(s["x"] + matmul(s["h"], constant(pts[1])))
      return ScanStepResult(
        carries: ["h": h, "n": s["n"] + constant(Tensor(scalar: Int32(1)))],
        outputs: ["prev": s["h"], "W": constant(pts[1]), "h": h, "n": s["n"]])
    }
    let out = try evaluate([r["prev"], r["W"], r["h"], r["n"], r.final["n"]])
    assertTensor(out[3], .int32, [T], [1, 2, 3, 4])
    assertTensor(out[4], .int32, [], [5])
    assertTensor(out[1], .float64, [T, D, D], Array([[Double]](repeating: pts[1].doubles, count: T).joined()))
    XCTAssertEqual(Array(out[0].doubles.prefix(B * D)), pts[2].doubles)
    XCTAssertEqual(Array(out[0].doubles.dropFirst(B * D)), Array(out[2].doubles.prefix((T - 1) * B * D)))
  }

  /// Carries the body ignores (overwritten each step) or passes through unchanged.
  func testIgnoredAndPassThroughCarries() throws {
    let pts = [
      F.rnd([T, B, D], 31, std: 1), F.rnd([D, D], 32), F.rnd([B, D], 33), F.rnd([B, D], 34), F.rnd([B, D], 35),
    ]
    for policy in [ScanPolicy.store, .recompute] {
      check("ignored/pass-through carries, \(policy)", at: pts) { v in
        let r = scan(sequences: ["x": v[0]], carries: ["h": v[2], "last": v[3], "keep": v[4]], policy: policy) { s in
          let h = tanh(s["x"] + matmul(s["h"], v[1]) + s["keep"])
          return ScanStepResult(carries: ["h": h, "last": s["x"] * 2.0, "keep": s["keep"]], outputs: ["h": h])
        }
        return r["h"].sum(axes: [0]) + r.final["last"] + r.final["keep"] * 3.0
      }
    }
    // d final["last"] / d initial "last" is zero; d final["keep"] / d initial "keep" is the identity.
    let x = input("xs", .float64, [.fixed(T), .fixed(B), .fixed(D)])
    let l0 = input("l0", .float64, [.fixed(B), .fixed(D)])
    let k0 = input("k0", .float64, [.fixed(B), .fixed(D)])
    let r = scan(sequences: ["x": x], carries: ["last": l0, "keep": k0]) { s in
      ScanStepResult(carries: ["last": s["x"] * 2.0, "keep": s["keep"]])
    }
    let g = try grad(sum(r.final["last"]) + sum(r.final["keep"] * 3.0), wrt: [x, l0, k0])
    let out = try evaluate(g, [x, l0, k0], [pts[0], pts[2], pts[3]])
    assertTensor(
      out[0], .float64, [T, B, D], [Double](repeating: 0, count: (T - 1) * B * D) + [Double](repeating: 2, count: B * D)
    )
    assertTensor(out[1], .float64, [B, D], [Double](repeating: 0, count: B * D))
    assertTensor(out[2], .float64, [B, D], [Double](repeating: 3, count: B * D))
  }

  /// No carries: a map over time (with a captured weight), and its gradient.
  func testScanWithoutCarries() throws {
    let pts = [F.rnd([T, B, D], 41, std: 1), F.rnd([D, D], 42)]
    check("no carries", at: pts) { v in
      scan(sequences: ["x": v[0]]) { s in ScanStepResult(outputs: ["y": tanh(matmul(s["x"], v[1]))]) }["y"]
    }
    let r = scan(sequences: ["x": constant(pts[0])]) { s in
      ScanStepResult(outputs: ["y": tanh(matmul(s["x"], constant(pts[1])))])
    }
    let direct = tanh(matmul(constant(pts[0]), constant(pts[1])))
    let out = try evaluate([r["y"], direct])
    assertTensor(out[0], .float64, [T, B, D], out[1].doubles, tol: 1e-12)
  }

  /// An int32 sequence of token ids looked up in an embedding inside the step.
  func testIntegerSequenceEmbeddingLookup() throws {
    let V = 5
    let ids = Tensor(shape: [T, B], [Int32]([0, 3, 4, 4, 1, 0, 2, 3]))
    let pts = [F.rnd([V, D], 51), F.rnd([D, D], 52), F.rnd([B, D], 53)]
    for policy in [ScanPolicy.store, .recompute] {
      check("embedding, \(policy)", at: pts) { v in
        scan(sequences: ["id": constant(ids)], carries: ["h": v[2]], policy: policy) { s in
          let h = tanh(take(v[0], s["id"]) + matmul(s["h"], v[1]))
          return ScanStepResult(carries: ["h": h], outputs: ["h": h])
        }["h"]
      }
    }
    // Rows of E that no id selects get no gradient.
    let E = input("E", .float64, [.fixed(V), .fixed(D)])
    let r = scan(
      sequences: ["id": constant(Tensor(shape: [T, B], [Int32]([0, 3, 0, 3, 1, 0, 3, 3])))],
      carries: ["h": constant(pts[2])]
    ) { s in
      let h = tanh(take(E, s["id"]) + matmul(s["h"], constant(pts[1])))
      return ScanStepResult(carries: ["h": h], outputs: ["h": h])
    }
    let gE = try evaluate1(try grad(sum(r["h"]), wrt: E), [E], [pts[0]])
    for row in [2, 4] { XCTAssertEqual(Array(gE.doubles[(row * D)..<((row + 1) * D)]), [0, 0, 0], "row \(row)") }
    for row in [0, 1, 3] { XCTAssertNotEqual(Array(gE.doubles[(row * D)..<((row + 1) * D)]), [0, 0, 0], "row \(row)") }
  }

  /// The number of steps as a run-time argument (with sequences of that length, or none).
  func testRunTimeStepCount() throws {
    let n = input("n", .int32, [])
    let h0 = input("h0", .float64, [.fixed(D)])
    let r = scan(carries: ["h": h0], steps: n) { s in
      let h = s["h"] * 0.5 + s.index.cast(.float64)
      return ScanStepResult(carries: ["h": h], outputs: ["h": h])
    }
    let gh0 = try grad(sum(r.final["h"]), wrt: h0)
    let f = try compile(inputs: [n, h0], outputs: [r.final["h"], r["h"], gh0])
    for steps in [1, 3, 6] {
      let out = try f.call([Tensor(scalar: Int32(steps)), Tensor(shape: [D], [1.0, 2, 3])])
      var h = [1.0, 2, 3]
      for t in 0..<steps { h = h.map { $0 * 0.5 + Double(t) } }
      assertTensor(out[0], .float64, [D], h, tol: 1e-15)
      XCTAssertEqual(out[1].shape, [steps, D])
      assertTensor(out[2], .float64, [D], [Double](repeating: Foundation.pow(0.5, Double(steps)), count: D), tol: 1e-15)
    }
  }

  /// A mask on a reverse scan over right-padded rows: padded steps come first, so the carries stay at
  /// their initial values until the row's last valid step; the result is the reverse scan of the row
  /// alone over its valid steps. Gradients are checked with a symbolic batch axis too.
  func testMaskedReverseScan() throws {
    let lengths = [4, 2]
    let mv = (0..<T).flatMap { t in lengths.map { t < $0 } }
    let xs0 = F.rnd([T, B, D], 61, std: 1)
    let h00 = F.rnd([B, D], 62)
    let U0 = F.rnd([D, D], 63)
    func rnn(_ xs: Var, _ h0: Var, _ U: Var, mask: Var?, policy: ScanPolicy = .store) -> ScanResult {
      scan(sequences: ["x": xs], carries: ["h": h0], reverse: true, mask: mask, policy: policy) { s in
        let h = tanh(s["x"] + matmul(s["h"], U))
        return ScanStepResult(carries: ["h": h], outputs: ["h": h])
      }
    }
    let xs = input("xs", .float64, ["T", "B", .fixed(D)])
    let h0 = input("h0", .float64, ["B", .fixed(D)])
    let m = input("m", .bool, ["T", "B"])
    let out = try evaluate(
      [rnn(xs, h0, constant(U0), mask: m).final["h"]], [xs, h0, m], [xs0, h00, Tensor(shape: [T, B], mv)])
    for b in 0..<B {
      let alone = rnn(constant(xs0)[0..<lengths[b], b..<(b + 1)], constant(h00)[b..<(b + 1)], constant(U0), mask: nil)
      assertClose(
        Array(out[0].doubles[(b * D)..<((b + 1) * D)]), try evaluate1(alone.final["h"]).doubles, tol: 1e-12, "row \(b)")
    }
    let mf = Tensor(shape: [T, B], dtype: .float64, values: mv.map { $0 ? 1 : 0 })
    for policy in [ScanPolicy.store, .recompute] {
      check("masked reverse, \(policy)", at: [xs0, h00, U0]) { v in
        let r = rnn(v[0], v[1], v[2], mask: constant(mf), policy: policy)
        return r["h"] * reshape(constant(mf), [.n(T), .n(B), 1]) + r.final["h"]
      }
    }
  }

  /// float32 gradients through an LSTM scan agree with float64 ones to float32 precision.
  func testFloat32GradientsTrackFloat64() throws {
    let T = 5
    let I = 2
    let H = 3
    var results: [[[Double]]] = []
    for dtype in [DType.float64, .float32] {
      let xs = input("xs", dtype, ["T", .fixed(B), .fixed(I)])
      let W = input("W", dtype, [.fixed(I), .fixed(4 * H)])
      let U = input("U", dtype, [.fixed(H), .fixed(4 * H)])
      let b = input("b", dtype, [.fixed(4 * H)])
      let h0 = input("h0", dtype, [.fixed(B), .fixed(H)])
      let r = F.lstmScan(xs, h0: h0, c0: h0, W: W, U: U, b: b, H: H)
      let cost = sum(r["h"] * r["h"]) + sum(r.final["c"])
      let g = try grad(cost, wrt: [xs, W, U, b, h0])
      let args = [
        F.rnd([T, B, I], 71, std: 1), F.rnd([I, 4 * H], 72), F.rnd([H, 4 * H], 73), F.rnd([4 * H], 74),
        F.rnd([B, H], 75),
      ].map { $0.cast(to: dtype) }
      let out = try evaluate(g, [xs, W, U, b, h0], args)
      XCTAssertTrue(out.allSatisfy { $0.dtype == dtype })
      results.append(out.map(\.doubles))
    }
    for k in results[0].indices { assertClose(results[1][k], results[0][k], tol: 1e-4, atol: 1e-5, "gradient \(k)") }
  }

  /// Stacked outputs are indexed by t also in a reverse scan: entry t is what step t produced, so an
  /// iteration counter reads T-1-t there.
  func testReverseStepsOutputsIndexedByTime() throws {
    let r = scan(steps: 3, carries: ["n": constant(Tensor(scalar: Int32(0)))], reverse: true) { s in
      ScanStepResult(carries: ["n": s["n"] + constant(Tensor(scalar: Int32(1)))], outputs: ["t": s.index, "n": s["n"]])
    }
    let out = try evaluate([r["t"], r["n"], r.final["n"]])
    assertTensor(out[0], .int32, [3], [0, 1, 2])
    assertTensor(out[1], .int32, [3], [2, 1, 0])
    assertTensor(out[2], .int32, [], [3])
  }

  /// A variable made inside the step and used outside the scan cannot be compiled (it reads a step
  /// placeholder); it is a graph error, not a crash.
  func testStepVariableUsedOutsideTheScanIsAnError() throws {
    var leaked: Var?
    let xs = input("xs", .float64, [3, 2])
    let r = scan(sequences: ["x": xs], carries: ["h": constant(Tensor.zeros(.float64, [2]))]) { s in
      leaked = s["h"] * 2.0
      return ScanStepResult(carries: ["h": s["h"] + s["x"]])
    }
    XCTAssertThrowsError(try compile(inputs: [xs], outputs: [r.final["h"], leaked!])) { error in
      XCTAssertTrue(error is GraphError)
      XCTAssertTrue("\(error)".contains("'h'"), "\(error)")
    }
  }
}
