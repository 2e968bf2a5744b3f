import Codegen
import Foundation
import TestSupport
import XCTest

// The numeric gradient checker through scan (BPTT as a reverse scan): LSTM depth 1 and 2, GRU, reverse
// and steps-only scans, per-step outputs and final carries in one cost, under both policies. Each check
// is with respect to weights, initial states and (where the scan has them) input sequences.

final class ScanGradientTests: XCTestCase {
  typealias F = ScanFixtures
  let T = 3, B = 2, I = 2, H = 2
  let policies: [ScanPolicy] = [.store, .storeAll, .recompute]

  /// Reports which policy failed, with the checker's mismatches.
  private func check(
    _ what: String, _ policy: ScanPolicy, at points: [Tensor], names: [String],
    file: StaticString = #filePath, line: UInt = #line, _ build: ([Var]) -> Var
  ) {
    do {
      try checkGradient(at: points, names: names, build)
    } catch {
      XCTFail("\(what), policy \(policy): \(error)", file: file, line: line)
    }
  }

  func testLSTMDepth1() throws {
    let pts = [
      F.rnd([T, B, I], 1, std: 1), F.rnd([I, 4 * H], 2), F.rnd([H, 4 * H], 3), F.rnd([4 * H], 4),
      F.rnd([B, H], 5), F.rnd([B, H], 6),
    ]
    for policy in policies {
      check("LSTM depth 1", policy, at: pts, names: ["xs", "W", "U", "b", "h0", "c0"]) { v in
        let r = F.lstmScan(v[0], h0: v[4], c0: v[5], W: v[1], U: v[2], b: v[3], H: H, policy: policy)
        return r["h"]
      }
    }
  }

  /// Layer 2 reads layer 1's stacked outputs; the cost reads layer 2's outputs and its final cell.
  func testLSTMDepth2() throws {
    let pts = [
      F.rnd([T, B, I], 11, std: 1), F.rnd([I, 4 * H], 12), F.rnd([H, 4 * H], 13), F.rnd([4 * H], 14),
      F.rnd([H, 4 * H], 15), F.rnd([H, 4 * H], 16), F.rnd([4 * H], 17), F.rnd([B, H], 18), F.rnd([B, H], 19),
      F.rnd([B, H], 20), F.rnd([B, H], 21),
    ]
    let names = ["xs", "W1", "U1", "b1", "W2", "U2", "b2", "h01", "c01", "h02", "c02"]
    for policy in policies {
      check("LSTM depth 2", policy, at: pts, names: names) { v in
        let l1 = F.lstmScan(v[0], h0: v[7], c0: v[8], W: v[1], U: v[2], b: v[3], H: H, policy: policy)
        let l2 = F.lstmScan(l1["h"], h0: v[9], c0: v[10], W: v[4], U: v[5], b: v[6], H: H, policy: policy)
        return l2["h"].sum(axes: [0]) + l2.final["c"]
      }
    }
  }

  func testGRU() throws {
    let pts = [
      F.rnd([T, B, I], 31, std: 1), F.rnd([I, 3 * H], 32), F.rnd([H, 3 * H], 33), F.rnd([3 * H], 34),
      F.rnd([B, H], 35),
    ]
    for policy in policies {
      check("GRU", policy, at: pts, names: ["xs", "W", "U", "b", "h0"]) { v in
        let r = F.gruScan(v[0], h0: v[4], F.GRUWeights(packedW: v[1], U: v[2], b: v[3], H: H), policy: policy)
        return r["h"]
      }
    }
  }

  /// A reverse LSTM and a reverse GRU (stacked outputs indexed by t, final carries after t = 0).
  func testReverseScans() throws {
    let pts = [
      F.rnd([T, B, I], 41, std: 1), F.rnd([I, 4 * H], 42), F.rnd([H, 4 * H], 43), F.rnd([4 * H], 44),
      F.rnd([B, H], 45), F.rnd([B, H], 46),
    ]
    for policy in policies {
      check("reverse LSTM", policy, at: pts, names: ["xs", "W", "U", "b", "h0", "c0"]) { v in
        let r = F.lstmScan(v[0], h0: v[4], c0: v[5], W: v[1], U: v[2], b: v[3], H: H, reverse: true, policy: policy)
        return r["h"] * 0.5 + r.final["h"]
      }
    }
    let gpts = [
      F.rnd([T, B, I], 47, std: 1), F.rnd([I, 3 * H], 48), F.rnd([H, 3 * H], 49), F.rnd([3 * H], 50),
      F.rnd([B, H], 51),
    ]
    for policy in policies {
      check("reverse GRU", policy, at: gpts, names: ["xs", "W", "U", "b", "h0"]) { v in
        F.gruScan(v[0], h0: v[4], F.GRUWeights(packedW: v[1], U: v[2], b: v[3], H: H), reverse: true, policy: policy)[
          "h"]
      }
    }
  }

  /// The reverse scan really runs backwards: its first stacked output is the state after all T steps.
  func testReverseScanOrderMatchesReversedInput() throws {
    let xs0 = F.rnd([T, B, I], 55, std: 1)
    let W0 = F.rnd([I, H], 56)
    let U0 = F.rnd([H, H], 57)
    let h00 = F.rnd([B, H], 58)
    func rnn(_ xs: Var, reverse: Bool) -> ScanResult {
      scan(sequences: ["x": xs], carries: ["h": constant(h00)], reverse: reverse) { s in
        let h = tanh(matmul(s["x"], constant(W0)) + matmul(s["h"], constant(U0)))
        return ScanStepResult(carries: ["h": h], outputs: ["h": h])
      }
    }
    let rev = rnn(constant(xs0), reverse: true)
    let fwd = rnn(constant(xs0)[SliceRange(step: -1)], reverse: false)
    let out = try evaluate([rev["h"], fwd["h"], rev.final["h"]])
    // rev["h"][t] == fwd["h"][T-1-t]
    let n = B * H
    for t in 0..<T {
      assertClose(
        Array(out[0].doubles[(t * n)..<((t + 1) * n)]), Array(out[1].doubles[((T - 1 - t) * n)..<((T - t) * n)]),
        tol: 1e-12, "reverse step \(t)")
    }
    XCTAssertEqual(
      out[2].doubles, Array(out[0].doubles.prefix(n)), "a reverse scan's final carry is its output at t = 0")
  }

  /// No sequences: a carry iterated `steps: 5` times with a weight, plus an outer-variable bias.
  func testStepsOnlyScan() throws {
    let pts = [F.rnd([H, H], 61), F.rnd([H], 62), F.rnd([B, H], 63)]
    for policy in policies {
      check("steps-only", policy, at: pts, names: ["W", "b", "h0"]) { v in
        let r = scan(steps: 5, carries: ["h": v[2]], policy: policy) { s in
          let h = tanh(matmul(s["h"], v[0]) + v[1])
          return ScanStepResult(carries: ["h": h], outputs: ["h": h])
        }
        return r["h"].sum(axes: [0]) + r.final["h"] * r.final["h"]
      }
    }
    // And its value: five applications of the map.
    let r = scan(steps: 5, carries: ["h": constant(pts[2])]) { s in
      ScanStepResult(carries: ["h": tanh(matmul(s["h"], constant(pts[0])) + constant(pts[1]))])
    }
    var h = pts[2].doubles
    for _ in 0..<5 {
      h = ScanFixtures.affine(h, pts[0].doubles, [], [], pts[1].doubles, B: B, I: H, K: 0, N: H).map {
        Foundation.tanh($0)
      }
    }
    assertTensor(try evaluate1(r.final["h"]), .float64, [B, H], h, tol: 1e-12, atol: 1e-14)
  }

  /// The cost reads the per-step outputs (two of them) and both final carries.
  func testOutputsAndFinalCarriesInOneCost() throws {
    let pts = [
      F.rnd([T, B, I], 71, std: 1), F.rnd([I, 4 * H], 72), F.rnd([H, 4 * H], 73), F.rnd([4 * H], 74),
      F.rnd([B, H], 75), F.rnd([B, H], 76),
    ]
    for policy in policies {
      check("outputs + finals", policy, at: pts, names: ["xs", "W", "U", "b", "h0", "c0"]) { v in
        let r = scan(sequences: ["x": v[0]], carries: ["h": v[4], "c": v[5]], policy: policy) { s in
          let (h, c) = F.lstmCell(x: s["x"], h: s["h"], c: s["c"], W: v[1], U: v[2], b: v[3], H: H)
          return ScanStepResult(carries: ["h": h, "c": c], outputs: ["h": h, "sq": c * c])
        }
        return r["h"].sum(axes: [0]) + r["sq"].mean(axes: [0]) + r.final["c"] * r.final["h"]
      }
    }
  }

  /// The symbolic gradient of a simple scan agrees with one derived by hand: h_t = h_{t-1} * w + x_t
  /// gives h_T = w^T h_0 + Σ w^(T-1-t) x_t.
  func testLinearRecurrenceGradientByHand() throws {
    let xs = input("xs", .float64, ["T", 1])
    let w = input("w", .float64, [])
    let h0 = input("h0", .float64, [1])
    for policy in policies {
      let r = scan(sequences: ["x": xs], carries: ["h": h0], constants: ["w": w], policy: policy) { s in
        ScanStepResult(carries: ["h": s["h"] * s["w"] + s["x"]])
      }
      let cost = sum(r.final["h"])
      let g = try grad(cost, wrt: [xs, w, h0])
      let x0: [Double] = [0.5, -1.0, 2.0, 0.25]
      let wv = 0.7
      let hv = 1.5
      let out = try evaluate(
        [cost] + g, [xs, w, h0], [Tensor(shape: [4, 1], x0), Tensor(scalar: wv), Tensor(shape: [1], [hv])])
      let T = x0.count
      let hT =
        Foundation.pow(wv, Double(T)) * hv + (0..<T).reduce(0) { $0 + Foundation.pow(wv, Double(T - 1 - $1)) * x0[$1] }
      XCTAssertEqual(out[0].scalarValue, hT, accuracy: 1e-12)
      assertTensor(
        out[1], .float64, [4, 1], (0..<T).map { Foundation.pow(wv, Double(T - 1 - $0)) }, tol: 1e-12, "\(policy)")
      let dw =
        Double(T) * Foundation.pow(wv, Double(T - 1)) * hv
        + (0..<(T - 1)).reduce(0) { $0 + Double(T - 1 - $1) * Foundation.pow(wv, Double(T - 2 - $1)) * x0[$1] }
      XCTAssertEqual(out[2].scalarValue, dw, accuracy: 1e-12, "\(policy)")
      XCTAssertEqual(out[3].doubles[0], Foundation.pow(wv, Double(T)), accuracy: 1e-12, "\(policy)")
    }
  }

  /// A scalar loss accumulated in a carry, two carries and two outputs returned as the same variable.
  func testAccumulatorCarryAndSharedReturnValues() {
    let pts = [F.rnd([T, B, I], 81, std: 1), F.rnd([B, H], 82), F.rnd([H, H], 83), F.rnd([I, H], 84)]
    for policy in policies {
      check("accumulator", policy, at: pts, names: ["xs", "h0", "U", "W"]) { v in
        let r = scan(
          sequences: ["x": v[0]], carries: ["h": v[1], "h2": v[1], "loss": constant(0.0, .float64)], policy: policy
        ) { s in
          let h = tanh(matmul(s["x"], v[3]) + matmul(s["h"], v[2]) + s["h2"] * 0.1)
          return ScanStepResult(carries: ["h": h, "h2": h, "loss": s["loss"] + sum(h * h)], outputs: ["a": h, "b": h])
        }
        return r.final["loss"] + sum(r["a"]) * 0.5 + sum(r["b"] * r["b"]) + sum(r.final["h2"])
      }
    }
  }

  /// Second order: the gradient of a function of the BPTT gradient (the backward loop is itself a scan
  /// and is differentiated like any other).
  func testSecondOrderThroughScan() {
    let pts = [F.rnd([T, B, I], 91, std: 1), F.rnd([B, H], 92), F.rnd([H, H], 93), F.rnd([I, H], 94)]
    for policy in policies {
      check("second order", policy, at: pts, names: ["xs", "h0", "U", "W"]) { v in
        let r = scan(sequences: ["x": v[0]], carries: ["h": v[1]], policy: policy) { s in
          let h = tanh(matmul(s["x"], v[3]) + matmul(s["h"], v[2]))
          return ScanStepResult(carries: ["h": h], outputs: ["h": h])
        }
        guard let g = try? grad(sum(r["h"] * r["h"]), wrt: [v[2], v[1]]) else { return v[1] * Double.nan }
        return g[0] * g[0] + sum(g[1])
      }
    }
  }

  /// One SGD step through a scan with shared weights: the update applies W - lr * dW computed from the
  /// values before the call, and the cost goes down.
  func testSGDUpdateThroughScan() throws {
    let W0 = F.rnd([I, H], 101)
    let U0 = F.rnd([H, H], 102)
    let xs0 = F.rnd([T, B, I], 103, std: 1)
    let W = shared(W0, name: "W")
    let U = shared(U0, name: "U")
    let xs = input("xs", .float64, ["T", .fixed(B), .fixed(I)])
    let r = scan(sequences: ["x": xs], carries: ["h": constant(Tensor.zeros(.float64, [B, H]))]) { s in
      let h = tanh(matmul(s["x"], W) + matmul(s["h"], U))
      return ScanStepResult(carries: ["h": h], outputs: ["h": h])
    }
    let forward = try compile(inputs: [xs], outputs: [r["h"]])
    let before = try forward(xs0)[0]
    let cost = sum((r["h"] - 0.5) * (r["h"] - 0.5))
    let g = try grad(cost, wrt: [W, U])
    // Taking the gradient adds stored values to the loop; the function compiled before still agrees.
    XCTAssertEqual(try forward(xs0)[0], before)
    let step = try compile(inputs: [xs], outputs: [cost] + g, updates: [(W, W - g[0] * 0.1), (U, U - g[1] * 0.1)])
    let first = try step(xs0)
    assertClose(W.sharedVariable!.value.doubles, zip(W0.doubles, first[1].doubles).map { $0 - 0.1 * $1 }, tol: 1e-14)
    assertClose(U.sharedVariable!.value.doubles, zip(U0.doubles, first[2].doubles).map { $0 - 0.1 * $1 }, tol: 1e-14)
    let second = try step(xs0)
    XCTAssertLessThan(second[0].scalarValue, first[0].scalarValue)
    XCTAssertNotEqual(try forward(xs0)[0], before, "the forward function reads the updated weights")
  }
}
