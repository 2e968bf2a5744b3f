import Codegen
import Foundation
import TestSupport
import XCTest

/// Two composites of the handwriting model: one LSTM step and the mixture-density cost, checked for
/// value against plain-Swift loops and for gradient against finite differences.
final class CompositeGradientTests: XCTestCase {
  // MARK: - LSTM step

  /// One LSTM step (gate order i, f, g, o along the 4D axis; no peepholes), as in peers/README.md.
  func lstmStep(x: Var, h: Var, c: Var, W: Var, U: Var, b: Var, D: Int) -> (h: Var, c: Var) {
    let gates = matmul(x, W) + matmul(h, U) + b
    let i = sigmoid(gates[SliceRange.all, 0..<D])
    let f = sigmoid(gates[SliceRange.all, D..<(2 * D)])
    let g = tanh(gates[SliceRange.all, (2 * D)..<(3 * D)])
    let o = sigmoid(gates[SliceRange.all, (3 * D)..<(4 * D)])
    let c2 = f * c + i * g
    return (o * tanh(c2), c2)
  }

  /// The same step with loops: returns (h', c') row-major [B, D].
  func lstmReference(
    x: [Double], h: [Double], c: [Double], W: [Double], U: [Double], b: [Double], B: Int, I: Int, D: Int
  )
    -> ([Double], [Double])
  {
    func sig(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
    var hOut = [Double](repeating: 0, count: B * D)
    var cOut = [Double](repeating: 0, count: B * D)
    for r in 0..<B {
      var gates = [Double](repeating: 0, count: 4 * D)
      for j in 0..<(4 * D) {
        var s = b[j]
        for p in 0..<I { s += x[r * I + p] * W[p * 4 * D + j] }
        for p in 0..<D { s += h[r * D + p] * U[p * 4 * D + j] }
        gates[j] = s
      }
      for j in 0..<D {
        let ig = sig(gates[j])
        let fg = sig(gates[D + j])
        let gg = Foundation.tanh(gates[2 * D + j])
        let og = sig(gates[3 * D + j])
        let cn = fg * c[r * D + j] + ig * gg
        cOut[r * D + j] = cn
        hOut[r * D + j] = og * Foundation.tanh(cn)
      }
    }
    return (hOut, cOut)
  }

  func testLSTMStepValueAndGradient() throws {
    let (B, I, D) = (2, 3, 4)
    var rng = SeededGenerator(seed: 1234)
    let pts = [
      rng.tensor([B, I]), rng.tensor([B, D]), rng.tensor([B, D]), rng.tensor([I, 4 * D], -0.8, 0.8),
      rng.tensor([D, 4 * D], -0.8, 0.8), rng.tensor([4 * D], -0.5, 0.5),
    ]
    let (he, ce) = lstmReference(
      x: pts[0].doubles, h: pts[1].doubles, c: pts[2].doubles, W: pts[3].doubles,
      U: pts[4].doubles, b: pts[5].doubles, B: B, I: I, D: D)
    for dtype: DType in [.float32, .float64] {
      let names = ["x", "h", "c", "W", "U", "b"]
      let vars = zip(names, pts).map { input($0, dtype, $1.shape.map { .fixed($0) }) }
      let step = lstmStep(x: vars[0], h: vars[1], c: vars[2], W: vars[3], U: vars[4], b: vars[5], D: D)
      let args = pts.map { $0.cast(to: dtype) }
      let outs = try evaluate([step.h, step.c], vars, args)
      // float32 inputs hold rounded values; compare against the float64 reference with a looser bound.
      let tol = dtype == .float32 ? 1e-5 : 1e-12
      assertTensor(outs[0], dtype, [B, D], he, tol: tol, atol: dtype == .float32 ? 1e-6 : 1e-14, "h' \(dtype)")
      assertTensor(outs[1], dtype, [B, D], ce, tol: tol, atol: dtype == .float32 ? 1e-6 : 1e-14, "c' \(dtype)")
    }
    // The gradient with respect to W, U, b, x, h and c.
    try checkGradient(at: pts, names: ["x", "h", "c", "W", "U", "b"]) { v in
      let s = lstmStep(x: v[0], h: v[1], c: v[2], W: v[3], U: v[4], b: v[5], D: D)
      return concatenate([s.h, s.c], axis: 1)
    }
    // And through two steps sharing the weights.
    try checkGradient(at: pts, seed: 7) { v in
      let s1 = lstmStep(x: v[0], h: v[1], c: v[2], W: v[3], U: v[4], b: v[5], D: D)
      let s2 = lstmStep(x: v[0] * 0.5, h: s1.h, c: s1.c, W: v[3], U: v[4], b: v[5], D: D)
      return s2.h.sum(axes: [1]) + s2.c.mean()
    }
  }

  // MARK: - Mixture-density cost

  static let eps = 1e-5

  /// The handwriting model's NLL, written as peers/README.md's "NLL per step" (udibr/sketch).
  /// `y`: [N, 6M+1] readout; `xy`: [N, 2] target offsets; `t`: [N, 1] pen targets. Returns sum(nll) / B.
  func mdnCost(y: Var, xy: Var, t: Var, M: Int, B: Int) -> Var {
    let eps = Self.eps
    let all = SliceRange.all
    let mean = reshape(y[all, 0..<(2 * M)], [-1, .n(M), 2])
    let sigma = reshape(exp(y[all, (2 * M)..<(4 * M)]), [-1, .n(M), 2])
    let corr = tanh(y[all, (4 * M)..<(5 * M)])
    let weight = softmax(y[all, (5 * M)..<(6 * M)], axis: -1)
    let pen = sigmoid(y[all, (6 * M)..<(6 * M + 1)])

    let d = dimshuffle(xy, [0, "x", 1]) - mean
    let sigma2 = sigma[all, all, 0] * sigma[all, all, 1] + eps
    let z = sum(pow(d, 2) / pow(sigma, 2), axes: [-1]) - 2 * corr * d[all, all, 0] * d[all, all, 1] / sigma2
    let corr1 = 1 - pow(corr, 2) + eps
    var n = -z / (2 * corr1)
    let nmax = max(n, axes: [-1], keepDims: true)
    n = n - nmax
    n = exp(n) / (2 * Double.pi * sigma2 * sqrt(corr1))
    let nll = -log(sum(n * weight, axes: [-1], keepDims: true) + eps) - nmax - (t * log(pen) + (1 - t) * log(1 - pen))
    return sum(nll) / Double(B)
  }

  /// The same cost with plain loops over rows and components.
  func mdnReference(y: [Double], xy: [Double], t: [Double], N: Int, M: Int, B: Int) -> Double {
    let eps = Self.eps
    let cols = 6 * M + 1
    var total = 0.0
    for r in 0..<N {
      let row = Array(y[(r * cols)..<((r + 1) * cols)])
      let logits = Array(row[(5 * M)..<(6 * M)])
      let lmax = logits.max()!
      let ew = logits.map { Foundation.exp($0 - lmax) }
      let weights = ew.map { $0 / ew.reduce(0, +) }
      let pen = 1 / (1 + Foundation.exp(-row[6 * M]))
      var ns = [Double](repeating: 0, count: M)
      var s2s = [Double](repeating: 0, count: M)
      var c1s = [Double](repeating: 0, count: M)
      for m in 0..<M {
        let (mux, muy) = (row[2 * m], row[2 * m + 1])
        let (sx, sy) = (Foundation.exp(row[2 * M + 2 * m]), Foundation.exp(row[2 * M + 2 * m + 1]))
        let rho = Foundation.tanh(row[4 * M + m])
        let dx = xy[2 * r] - mux
        let dy = xy[2 * r + 1] - muy
        let s2 = sx * sy + eps
        let z = dx * dx / (sx * sx) + dy * dy / (sy * sy) - 2 * rho * dx * dy / s2
        let c1 = 1 - rho * rho + eps
        ns[m] = -z / (2 * c1)
        s2s[m] = s2
        c1s[m] = c1
      }
      let nmax = ns.max()!
      var mix = 0.0
      for m in 0..<M {
        mix += Foundation.exp(ns[m] - nmax) / (2 * Double.pi * s2s[m] * Foundation.sqrt(c1s[m])) * weights[m]
      }
      let bce = t[r] * Foundation.log(pen) + (1 - t[r]) * Foundation.log(1 - pen)
      total += -Foundation.log(mix + eps) - nmax - bce
    }
    return total / Double(B)
  }

  func testMixtureDensityCostValue() throws {
    let (T, B, M) = (3, 2, 4)
    let N = T * B
    var rng = SeededGenerator(seed: 4321)
    let yv = rng.uniform(N * (6 * M + 1), -1.2, 1.2)
    let xyv = rng.uniform(N * 2, -1.5, 1.5)
    let tv = (0..<N).map { Double($0 % 3 == 0 ? 1 : 0) }
    let expected = mdnReference(y: yv, xy: xyv, t: tv, N: N, M: M, B: B)
    XCTAssertTrue(expected.isFinite)
    for dtype: DType in [.float32, .float64] {
      let y = input("y", dtype, ["N", .fixed(6 * M + 1)])
      let xy = input("xy", dtype, ["N", 2])
      let t = input("t", dtype, ["N", 1])
      let cost = mdnCost(y: y, xy: xy, t: t, M: M, B: B)
      XCTAssertEqual(cost.shape, [])
      let f = try compile(inputs: [y, xy, t], outputs: [cost])
      // float32 inputs hold rounded values: the reference uses the same rounded values.
      let r: ([Double]) -> [Double] = { dtype == .float32 ? roundedToFloat($0) : $0 }
      let exp32 = mdnReference(y: r(yv), xy: r(xyv), t: tv, N: N, M: M, B: B)
      let out = try f(tensor([N, 6 * M + 1], yv, dtype), tensor([N, 2], xyv, dtype), tensor([N, 1], tv, dtype))[0]
      assertTensor(out, dtype, [], [exp32], tol: dtype == .float32 ? 1e-5 : 1e-12, "MDN cost \(dtype)")
      // A different N in a second call: the first row alone.
      let one = try f(
        tensor([1, 6 * M + 1], Array(yv[..<(6 * M + 1)]), dtype), tensor([1, 2], Array(xyv[..<2]), dtype),
        tensor([1, 1], [tv[0]], dtype))[0]
      let oneExpected = mdnReference(
        y: r(Array(yv[..<(6 * M + 1)])), xy: r(Array(xyv[..<2])), t: [tv[0]], N: 1, M: M, B: B)
      assertTensor(one, dtype, [], [oneExpected], tol: dtype == .float32 ? 1e-5 : 1e-12)
    }
  }

  func testMixtureDensityCostGradient() throws {
    let (N, B, M) = (4, 2, 3)
    var rng = SeededGenerator(seed: 99)
    let y = rng.tensor([N, 6 * M + 1], -1, 1)
    let xy = rng.tensor([N, 2], -1, 1)
    let t = constant(tensor([N, 1], [1, 0, 0, 1]))
    // With respect to the readout y and the targets' xy.
    try checkGradient(at: [y, xy], directions: 5, names: ["y", "xy"]) { v in
      mdnCost(y: v[0], xy: v[1], t: t, M: M, B: B)
    }
    // The symbolic gradient of y also matches, column block by column block, a finite difference
    // of the plain-Swift reference (so a bug shared by the graph and checkGradient cannot hide).
    let yi = input("y", .float64, [.fixed(N), .fixed(6 * M + 1)])
    let xyi = input("xy", .float64, [.fixed(N), 2])
    let cost = mdnCost(y: yi, xy: xyi, t: t, M: M, B: B)
    let g = try grad(cost, wrt: [yi, xyi])
    let outs = try evaluate([cost] + g, [yi, xyi], [y, xy])
    let tv = [1.0, 0, 0, 1]
    let h = 1e-6
    for (which, base, count) in [(0, y.doubles, y.count), (1, xy.doubles, xy.count)] {
      var numeric = [Double](repeating: 0, count: count)
      for k in 0..<count {
        var plus = base
        var minus = base
        plus[k] += h
        minus[k] -= h
        let fp =
          which == 0
          ? mdnReference(y: plus, xy: xy.doubles, t: tv, N: N, M: M, B: B)
          : mdnReference(y: y.doubles, xy: plus, t: tv, N: N, M: M, B: B)
        let fm =
          which == 0
          ? mdnReference(y: minus, xy: xy.doubles, t: tv, N: N, M: M, B: B)
          : mdnReference(y: y.doubles, xy: minus, t: tv, N: N, M: M, B: B)
        numeric[k] = (fp - fm) / (2 * h)
      }
      assertClose(outs[1 + which].doubles, numeric, tol: 1e-5, atol: 1e-7, "gradient \(which == 0 ? "y" : "xy")")
    }
  }
}
