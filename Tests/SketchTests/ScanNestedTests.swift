import Codegen
import Foundation
import TestSupport
import XCTest

// A scan inside another scan's step: values against a hand-unrolled double loop, and gradients.

final class ScanNestedTests: XCTestCase {
  typealias F = ScanFixtures
  let T = 3, S = 2, B = 2, D = 2

  /// Outer scan over xs [T, B, D]; its step runs an inner steps-only scan (S steps) that starts from the
  /// outer carry and reads the outer slice x_t and the outer weight U (captured twice, across levels).
  private func nestedSteps(_ xs: Var, _ h0: Var, _ U: Var, inner: ScanPolicy = .store, outer: ScanPolicy = .store)
    -> ScanResult
  {
    scan(sequences: ["x": xs], carries: ["h": h0], policy: outer) { s in
      let r = scan(steps: S, carries: ["g": s["h"]], policy: inner) { t in
        let g = tanh(matmul(t["g"], U) + s["x"])
        return ScanStepResult(carries: ["g": g], outputs: ["g": g])
      }
      return ScanStepResult(carries: ["h": r.final["g"] * 0.9], outputs: ["gs": r["g"]])
    }
  }

  /// Outer scan over xs [T, S, B, D]; the inner scan runs over the outer slice x_t [S, B, D] as its own
  /// sequence, with a carry that starts from the outer carry.
  private func nestedSequences(
    _ xs: Var, _ h0: Var, _ W: Var, _ U: Var, inner: ScanPolicy = .store, outer: ScanPolicy = .store
  ) -> ScanResult {
    scan(sequences: ["x": xs], carries: ["h": h0], policy: outer) { s in
      let r = scan(sequences: ["y": s["x"]], carries: ["g": s["h"]], policy: inner) { t in
        let g = tanh(matmul(t["y"], W) + matmul(t["g"], U))
        return ScanStepResult(carries: ["g": g], outputs: ["g": g])
      }
      return ScanStepResult(
        carries: ["h": r.final["g"]], outputs: ["last": r["g"][S - 1], "sum": r["g"].sum(axes: [0])])
    }
  }

  func testNestedStepsScanEqualsUnrolled() throws {
    let xs0 = F.rnd([T, B, D], 1, std: 1)
    let h00 = F.rnd([B, D], 2)
    let U0 = F.rnd([D, D], 3)
    let xs = input("xs", .float64, [.fixed(T), .fixed(B), .fixed(D)])
    let h0 = input("h0", .float64, [.fixed(B), .fixed(D)])
    let U = input("U", .float64, [.fixed(D), .fixed(D)])
    let r = nestedSteps(xs, h0, U)
    var h = h0
    var gs: [Var] = []
    for t in 0..<T {
      var g = h
      var inner: [Var] = []
      for _ in 0..<S {
        g = tanh(matmul(g, U) + xs[t])
        inner.append(g)
      }
      gs.append(stack(inner))
      h = g * 0.9
    }
    let out = try evaluate([r["gs"], r.final["h"], stack(gs), h], [xs, h0, U], [xs0, h00, U0])
    assertTensor(out[0], .float64, [T, S, B, D], out[2].doubles, tol: 1e-12, "stacked inner outputs")
    assertTensor(out[1], .float64, [B, D], out[3].doubles, tol: 1e-12, "final carry")
    // And by plain loops.
    var hv = h00.doubles
    var all: [Double] = []
    for t in 0..<T {
      var g = hv
      for _ in 0..<S {
        let xt = Array(xs0.doubles[(t * B * D)..<((t + 1) * B * D)])
        g = zip(naiveMatmul(g, U0.doubles, m: B, k: D, n: D), xt).map { Foundation.tanh($0 + $1) }
        all += g
      }
      hv = g.map { $0 * 0.9 }
    }
    assertClose(out[0].doubles, all, tol: 1e-12, atol: 1e-14, "nested vs plain loops")
    assertClose(out[1].doubles, hv, tol: 1e-12, atol: 1e-14, "nested final vs plain loops")
  }

  func testNestedSequenceScanEqualsUnrolled() throws {
    let xs0 = F.rnd([T, S, B, D], 4, std: 1)
    let h00 = F.rnd([B, D], 5)
    let W0 = F.rnd([D, D], 6)
    let U0 = F.rnd([D, D], 7)
    let xs = constant(xs0)
    let h0 = constant(h00)
    let W = constant(W0)
    let U = constant(U0)
    let r = nestedSequences(xs, h0, W, U)
    var h = h0
    var lasts: [Var] = []
    var sums: [Var] = []
    for t in 0..<T {
      var g = h
      var inner: [Var] = []
      for k in 0..<S {
        g = tanh(matmul(xs[t, k], W) + matmul(g, U))
        inner.append(g)
      }
      lasts.append(g)
      sums.append(stack(inner).sum(axes: [0]))
      h = g
    }
    let out = try evaluate([r["last"], r["sum"], r.final["h"], stack(lasts), stack(sums), h])
    assertTensor(out[0], .float64, [T, B, D], out[3].doubles, tol: 1e-12)
    assertTensor(out[1], .float64, [T, B, D], out[4].doubles, tol: 1e-12)
    assertTensor(out[2], .float64, [B, D], out[5].doubles, tol: 1e-12)
  }

  /// Gradients through a nested steps-only scan (weights captured across two levels, the outer
  /// sequence read inside the inner loop), for every combination of inner and outer policy.
  func testNestedStepsScanGradient() throws {
    let pts = [F.rnd([T, B, D], 11, std: 1), F.rnd([B, D], 12), F.rnd([D, D], 13)]
    for inner in [ScanPolicy.store, .recompute] {
      for outer in [ScanPolicy.store, .recompute] {
        do {
          try checkGradient(at: pts, names: ["xs", "h0", "U"]) { v in
            let r = nestedSteps(v[0], v[1], v[2], inner: inner, outer: outer)
            return r["gs"].sum(axes: [1]) + r.final["h"]
          }
        } catch {
          XCTFail("nested steps scan, inner \(inner), outer \(outer): \(error)")
        }
      }
    }
  }

  /// Gradients through a nested scan over a sequence made of the outer slice.
  func testNestedSequenceScanGradient() throws {
    let pts = [F.rnd([T, S, B, D], 21, std: 1), F.rnd([B, D], 22), F.rnd([D, D], 23), F.rnd([D, D], 24)]
    for inner in [ScanPolicy.store, .recompute] {
      for outer in [ScanPolicy.store, .recompute] {
        do {
          try checkGradient(at: pts, names: ["xs", "h0", "W", "U"]) { v in
            let r = nestedSequences(v[0], v[1], v[2], v[3], inner: inner, outer: outer)
            return r["last"] + r["sum"] * 0.5 + r.final["h"]
          }
        } catch {
          XCTFail("nested sequence scan, inner \(inner), outer \(outer): \(error)")
        }
      }
    }
  }

  /// Only the inner scan's final carry feeds the cost (no stacked inner output), and the inner scan is
  /// reversed: the outer backward loop must differentiate the inner loop on its own.
  func testNestedReverseInnerFinalOnlyGradient() throws {
    let pts = [F.rnd([T, S, B, D], 31, std: 1), F.rnd([B, D], 32), F.rnd([D, D], 33), F.rnd([D, D], 34)]
    for policy in [ScanPolicy.store, .recompute] {
      do {
        try checkGradient(at: pts, names: ["xs", "h0", "W", "U"]) { v in
          let r = scan(sequences: ["x": v[0]], carries: ["h": v[1]], policy: policy) { s in
            let inner = scan(sequences: ["y": s["x"]], carries: ["g": s["h"]], reverse: true, policy: policy) { t in
              ScanStepResult(carries: ["g": tanh(matmul(t["y"], v[2]) + matmul(t["g"], v[3]))])
            }
            return ScanStepResult(carries: ["h": inner.final["g"]], outputs: ["h": inner.final["g"]])
          }
          return r["h"]
        }
      } catch {
        XCTFail("nested reverse inner scan, \(policy): \(error)")
      }
    }
  }

  /// The inner step reads values the outer step computed (not its slots), captured across levels.
  func testInnerStepReadsOuterStepIntermediates() {
    let pts = [F.rnd([T, B, D], 41, std: 1), F.rnd([B, D], 42), F.rnd([D, D], 43)]
    for policy in [ScanPolicy.store, .recompute] {
      do {
        try checkGradient(at: pts, names: ["xs", "h0", "W"]) { v in
          let r = scan(sequences: ["x": v[0]], carries: ["h": v[1]], policy: policy) { s in
            let xw = tanh(matmul(s["x"], v[2]))
            let hh = s["h"] * 0.5
            let inner = scan(steps: S, carries: ["g": hh], policy: policy) { t in
              ScanStepResult(carries: ["g": tanh(t["g"] * xw + hh)], outputs: ["g": t["g"] * xw])
            }
            return ScanStepResult(carries: ["h": inner.final["g"]], outputs: ["o": inner["g"].sum(axes: [0]) * xw])
          }
          return r["o"].sum(axes: [0]) + r.final["h"]
        }
      } catch {
        XCTFail("inner reads outer intermediates, \(policy): \(error)")
      }
    }
  }

  /// A decoder scan whose step reads all of an encoder scan's stacked outputs (captured), attention
  /// style; the gradient flows into the encoder through the capture and through the initial carry.
  func testScanReadingAnotherScansOutputs() throws {
    let S = 3
    let U = 4
    let pts = [F.rnd([S, B, D], 51, std: 1), F.rnd([B, D], 52), F.rnd([U, B, D], 53, std: 1), F.rnd([D, D], 54)]
    func model(_ v: [Var], _ policy: ScanPolicy) -> (dec: ScanResult, enc: ScanResult) {
      let enc = scan(sequences: ["x": v[0]], carries: ["h": v[1]], policy: policy) { s in
        let h = tanh(s["x"] + matmul(s["h"], v[3]))
        return ScanStepResult(carries: ["h": h], outputs: ["h": h])
      }
      let E = enc["h"]  // [S, B, D]
      let dec = scan(sequences: ["y": v[2]], carries: ["h": enc.final["h"]], policy: policy) { s in
        let a = softmax(sum(E * s["h"], axes: [2]), axis: 0)  // [S, B]
        let ctx = sum(E * reshape(a, [.n(S), .n(B), 1]), axes: [0])
        let h = tanh(s["y"] + matmul(s["h"], v[3]) + ctx)
        return ScanStepResult(carries: ["h": h], outputs: ["h": h, "a": a])
      }
      return (dec, enc)
    }
    for policy in [ScanPolicy.store, .recompute] {
      do {
        try checkGradient(at: pts, names: ["xs", "h0", "ys", "U"]) { v in model(v, policy).dec["h"] }
      } catch {
        XCTFail("attention over another scan, \(policy): \(error)")
      }
    }
    // Values: attention weights are a distribution over the S encoder steps.
    let (dec, _) = model(pts.map { constant($0) }, .store)
    let a = try evaluate1(dec["a"])
    XCTAssertEqual(a.shape, [U, S, B])
    for u in 0..<U {
      for b in 0..<B {
        XCTAssertEqual((0..<S).reduce(0) { $0 + a.doubles[(u * S + $1) * B + b] }, 1, accuracy: 1e-12)
      }
    }
  }
}
