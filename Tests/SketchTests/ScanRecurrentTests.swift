import Codegen
import Foundation
import TestSupport
import XCTest

// LSTM and GRU written with `scan` against the same recurrences unrolled by hand, and against plain
// Swift loops. `ScanFixtures` holds the cells and data helpers the other Scan*Tests files share.

/// Cells, data and reference implementations shared by the Scan*Tests files.
enum ScanFixtures {
  /// The inputs of an LSTM layer of H units over xs [T, B, I]: xs, W [I, 4H], U [H, 4H], b [4H],
  /// h0 and c0 [B, H].
  static func lstmInputs(_ dtype: DType = .float64, I: Int, H: Int) -> (
    xs: Var, W: Var, U: Var, b: Var, h0: Var, c0: Var
  ) {
    (
      input("xs", dtype, ["T", "B", .fixed(I)]), input("W", dtype, [.fixed(I), .fixed(4 * H)]),
      input("U", dtype, [.fixed(H), .fixed(4 * H)]), input("b", dtype, [.fixed(4 * H)]),
      input("h0", dtype, ["B", .fixed(H)]), input("c0", dtype, ["B", .fixed(H)])
    )
  }

  /// Deterministic normal data (Runtime's Philox stream), converted to `dtype`.
  static func rnd(_ shape: [Int], _ seed: UInt64, std: Double = 0.5, dtype: DType = .float64) -> Tensor {
    let t = Random.normal(key: RandomKey(seed: seed), shape: shape, dtype: .float64, std: std)
    return dtype == .float64 ? t : t.cast(to: dtype)
  }

  /// Columns `k*H ..< (k+1)*H` of a [..., n*H] tensor.
  static func part(_ g: Var, _ k: Int, _ H: Int) -> Var {
    g.rank == 1 ? g[(k * H)..<((k + 1) * H)] : g[SliceRange.all, (k * H)..<((k + 1) * H)]
  }

  /// One LSTM step: g = x@W + h@U + b split (i, f, g, o) along the last axis.
  static func lstmCell(x: Var, h: Var, c: Var, W: Var, U: Var, b: Var, H: Int) -> (h: Var, c: Var) {
    let g = matmul(x, W) + matmul(h, U) + b
    let i = sigmoid(part(g, 0, H))
    let f = sigmoid(part(g, 1, H))
    let gg = tanh(part(g, 2, H))
    let o = sigmoid(part(g, 3, H))
    let c2 = f * c + i * gg
    return (o * tanh(c2), c2)
  }

  /// GRU weights with separate matrices per gate.
  struct GRUWeights {
    var Wz, Wr, Wn, Uz, Ur, Un, bz, br, bn: Var
    /// The gates' matrices sliced out of packed W [I, 3H], U [H, 3H], b [3H] (order z, r, n).
    init(packedW W: Var, U: Var, b: Var, H: Int) {
      (Wz, Wr, Wn) = (part(W, 0, H), part(W, 1, H), part(W, 2, H))
      (Uz, Ur, Un) = (part(U, 0, H), part(U, 1, H), part(U, 2, H))
      (bz, br, bn) = (part(b, 0, H), part(b, 1, H), part(b, 2, H))
    }
  }

  /// One standard GRU step.
  static func gruCell(x: Var, h: Var, _ w: GRUWeights) -> Var {
    let z = sigmoid(matmul(x, w.Wz) + matmul(h, w.Uz) + w.bz)
    let r = sigmoid(matmul(x, w.Wr) + matmul(h, w.Ur) + w.br)
    let n = tanh(matmul(x, w.Wn) + matmul(r * h, w.Un) + w.bn)
    return (1.0 - z) * n + z * h
  }

  /// An LSTM layer as a scan over xs [T, B, I]; outputs "h" (stacked), finals "h" and "c".
  static func lstmScan(
    _ xs: Var, h0: Var, c0: Var, W: Var, U: Var, b: Var, H: Int, reverse: Bool = false,
    mask: Var? = nil, policy: ScanPolicy = .store
  ) -> ScanResult {
    scan(sequences: ["x": xs], carries: ["h": h0, "c": c0], reverse: reverse, mask: mask, policy: policy) { s in
      let (h, c) = lstmCell(x: s["x"], h: s["h"], c: s["c"], W: W, U: U, b: b, H: H)
      return ScanStepResult(carries: ["h": h, "c": c], outputs: ["h": h])
    }
  }

  /// A GRU layer as a scan over xs [T, B, I]; output "h" (stacked), final "h".
  static func gruScan(_ xs: Var, h0: Var, _ w: GRUWeights, reverse: Bool = false, policy: ScanPolicy = .store)
    -> ScanResult
  {
    scan(sequences: ["x": xs], carries: ["h": h0], reverse: reverse, policy: policy) { s in
      let h = gruCell(x: s["x"], h: s["h"], w)
      return ScanStepResult(carries: ["h": h], outputs: ["h": h])
    }
  }

  // MARK: Plain Swift references (no graph, no kernels)

  static func sig(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

  /// x [B, I] · W [I, N] + h [B, K] · U [K, N] + b [N], by loops.
  static func affine(
    _ x: [Double], _ W: [Double], _ h: [Double], _ U: [Double], _ b: [Double], B: Int, I: Int, K: Int, N: Int
  ) -> [Double] {
    var g = [Double](repeating: 0, count: B * N)
    for r in 0..<B {
      for j in 0..<N {
        var s = b[j]
        for p in 0..<I { s += x[r * I + p] * W[p * N + j] }
        for p in 0..<K { s += h[r * K + p] * U[p * N + j] }
        g[r * N + j] = s
      }
    }
    return g
  }

  /// An LSTM by plain loops: per-step h [T][B*H] and the final (h, c).
  static func lstmReference(
    xs: [Double], h0: [Double], c0: [Double], W: [Double], U: [Double], b: [Double], T: Int, B: Int, I: Int, H: Int
  ) -> (hs: [[Double]], h: [Double], c: [Double]) {
    var h = h0
    var c = c0
    var hs: [[Double]] = []
    for t in 0..<T {
      let x = Array(xs[(t * B * I)..<((t + 1) * B * I)])
      let g = affine(x, W, h, U, b, B: B, I: I, K: H, N: 4 * H)
      var hn = h
      var cn = c
      for r in 0..<B {
        for j in 0..<H {
          let base = r * 4 * H
          let i = sig(g[base + j])
          let f = sig(g[base + H + j])
          let gg = Foundation.tanh(g[base + 2 * H + j])
          let o = sig(g[base + 3 * H + j])
          cn[r * H + j] = f * c[r * H + j] + i * gg
          hn[r * H + j] = o * Foundation.tanh(cn[r * H + j])
        }
      }
      h = hn
      c = cn
      hs.append(h)
    }
    return (hs, h, c)
  }

  /// A GRU by plain loops, with packed W [I, 3H], U [H, 3H], b [3H] (gates z, r, n).
  static func gruReference(
    xs: [Double], h0: [Double], W: [Double], U: [Double], b: [Double], T: Int, B: Int, I: Int, H: Int
  ) -> [[Double]] {
    var h = h0
    var hs: [[Double]] = []
    for t in 0..<T {
      var hn = h
      for r in 0..<B {
        func xw(_ j: Int) -> Double { (0..<I).reduce(0) { $0 + xs[(t * B + r) * I + $1] * W[$1 * 3 * H + j] } }
        func hu(_ v: [Double], _ j: Int) -> Double { (0..<H).reduce(0) { $0 + v[$1] * U[$1 * 3 * H + j] } }
        let hr = Array(h[(r * H)..<((r + 1) * H)])
        let z = (0..<H).map { sig(xw($0) + hu(hr, $0) + b[$0]) }
        let rg = (0..<H).map { sig(xw(H + $0) + hu(hr, H + $0) + b[H + $0]) }
        let rh = (0..<H).map { rg[$0] * hr[$0] }
        let n = (0..<H).map { Foundation.tanh(xw(2 * H + $0) + hu(rh, 2 * H + $0) + b[2 * H + $0]) }
        for j in 0..<H { hn[r * H + j] = (1 - z[j]) * n[j] + z[j] * hr[j] }
      }
      h = hn
      hs.append(h)
    }
    return hs
  }
}

final class ScanRecurrentTests: XCTestCase {
  typealias F = ScanFixtures
  let B = 2, I = 3, H = 4

  /// LSTM with scan vs unrolled by hand, for T = 1, 2, 7, in float64 and float32.
  func testLSTMScanEqualsUnrolled() throws {
    for dtype in [DType.float64, .float32] {
      let tol = dtype == .float64 ? 1e-12 : 1e-5
      for T in [1, 2, 7] {
        let xs = input("xs", dtype, [.fixed(T), .fixed(B), .fixed(I)])
        let h0 = input("h0", dtype, [.fixed(B), .fixed(H)])
        let c0 = input("c0", dtype, [.fixed(B), .fixed(H)])
        let W = input("W", dtype, [.fixed(I), .fixed(4 * H)])
        let U = input("U", dtype, [.fixed(H), .fixed(4 * H)])
        let b = input("b", dtype, [.fixed(4 * H)])
        let r = F.lstmScan(xs, h0: h0, c0: c0, W: W, U: U, b: b, H: H)
        var (h, c) = (h0, c0)
        var hs: [Var] = []
        for t in 0..<T {
          (h, c) = F.lstmCell(x: xs[t], h: h, c: c, W: W, U: U, b: b, H: H)
          hs.append(h)
        }
        let f = try compile(
          inputs: [xs, h0, c0, W, U, b], outputs: [r["h"], r.final["h"], r.final["c"], stack(hs), h, c])
        let args = [
          F.rnd([T, B, I], 1, std: 1), F.rnd([B, H], 2), F.rnd([B, H], 3), F.rnd([I, 4 * H], 4),
          F.rnd([H, 4 * H], 5), F.rnd([4 * H], 6),
        ].map { $0.cast(to: dtype) }
        let out = try f.call(args)
        XCTAssertEqual(out[0].shape, [T, B, H])
        XCTAssertEqual(out[0].dtype, dtype)
        assertTensor(out[0], dtype, [T, B, H], out[3].doubles, tol: tol, "LSTM per-step h, T=\(T) \(dtype)")
        assertTensor(out[1], dtype, [B, H], out[4].doubles, tol: tol, "LSTM final h, T=\(T) \(dtype)")
        assertTensor(out[2], dtype, [B, H], out[5].doubles, tol: tol, "LSTM final c, T=\(T) \(dtype)")
        // The last stacked output is the final carry.
        XCTAssertEqual(Array(out[0].doubles.suffix(B * H)), out[1].doubles)
        // Not trivially constant: the steps differ.
        if T > 1 { XCTAssertNotEqual(Array(out[0].doubles.prefix(B * H)), out[1].doubles) }
      }
    }
  }

  /// GRU with scan vs unrolled by hand, for T = 1, 2, 7, in float64 and float32.
  func testGRUScanEqualsUnrolled() throws {
    for dtype in [DType.float64, .float32] {
      let tol = dtype == .float64 ? 1e-12 : 1e-5
      for T in [1, 2, 7] {
        let xs = input("xs", dtype, [.fixed(T), .fixed(B), .fixed(I)])
        let h0 = input("h0", dtype, [.fixed(B), .fixed(H)])
        let W = input("W", dtype, [.fixed(I), .fixed(3 * H)])
        let U = input("U", dtype, [.fixed(H), .fixed(3 * H)])
        let b = input("b", dtype, [.fixed(3 * H)])
        let w = F.GRUWeights(packedW: W, U: U, b: b, H: H)
        let r = F.gruScan(xs, h0: h0, w)
        var h = h0
        var hs: [Var] = []
        for t in 0..<T {
          h = F.gruCell(x: xs[t], h: h, w)
          hs.append(h)
        }
        let f = try compile(inputs: [xs, h0, W, U, b], outputs: [r["h"], r.final["h"], stack(hs), h])
        let args = [
          F.rnd([T, B, I], 11, std: 1), F.rnd([B, H], 12), F.rnd([I, 3 * H], 13), F.rnd([H, 3 * H], 14),
          F.rnd([3 * H], 15),
        ].map { $0.cast(to: dtype) }
        let out = try f.call(args)
        assertTensor(out[0], dtype, [T, B, H], out[2].doubles, tol: tol, "GRU per-step h, T=\(T) \(dtype)")
        assertTensor(out[1], dtype, [B, H], out[3].doubles, tol: tol, "GRU final h, T=\(T) \(dtype)")
      }
    }
  }

  /// The graph LSTM and GRU against plain Swift loops (independent of the graph and its kernels).
  func testLSTMAndGRUMatchPlainSwiftLoops() throws {
    let T = 3
    let xs0 = F.rnd([T, B, I], 21, std: 1)
    let h00 = F.rnd([B, H], 22)
    let c00 = F.rnd([B, H], 23)
    let W0 = F.rnd([I, 4 * H], 24)
    let U0 = F.rnd([H, 4 * H], 25)
    let b0 = F.rnd([4 * H], 26)
    let xs = input("xs", .float64, ["T", .fixed(B), .fixed(I)])
    let h0 = input("h0", .float64, [.fixed(B), .fixed(H)])
    let c0 = input("c0", .float64, [.fixed(B), .fixed(H)])
    let r = F.lstmScan(xs, h0: h0, c0: c0, W: constant(W0), U: constant(U0), b: constant(b0), H: H)
    let out = try evaluate([r["h"], r.final["h"], r.final["c"]], [xs, h0, c0], [xs0, h00, c00])
    let ref = F.lstmReference(
      xs: xs0.doubles, h0: h00.doubles, c0: c00.doubles, W: W0.doubles, U: U0.doubles,
      b: b0.doubles, T: T, B: B, I: I, H: H)
    assertTensor(out[0], .float64, [T, B, H], ref.hs.flatMap { $0 }, tol: 1e-12, atol: 1e-14, "LSTM h vs loops")
    assertTensor(out[1], .float64, [B, H], ref.h, tol: 1e-12, atol: 1e-14, "LSTM final h vs loops")
    assertTensor(out[2], .float64, [B, H], ref.c, tol: 1e-12, atol: 1e-14, "LSTM final c vs loops")
    // One element by hand as a sanity check of the reference itself (t = 0, row 0, unit 0).
    let g = (0..<4).map { k in
      b0.doubles[k * H] + (0..<I).reduce(0) { $0 + xs0.doubles[$1] * W0.doubles[$1 * 4 * H + k * H] }
        + (0..<H).reduce(0) { $0 + h00.doubles[$1] * U0.doubles[$1 * 4 * H + k * H] }
    }
    let c1 = F.sig(g[1]) * c00.doubles[0] + F.sig(g[0]) * Foundation.tanh(g[2])
    XCTAssertEqual(out[0].doubles[0], F.sig(g[3]) * Foundation.tanh(c1), accuracy: 1e-12)

    let Wg0 = F.rnd([I, 3 * H], 27)
    let Ug0 = F.rnd([H, 3 * H], 28)
    let bg0 = F.rnd([3 * H], 29)
    let rg = F.gruScan(xs, h0: h0, F.GRUWeights(packedW: constant(Wg0), U: constant(Ug0), b: constant(bg0), H: H))
    let outg = try evaluate([rg["h"], rg.final["h"]], [xs, h0], [xs0, h00])
    let refg = F.gruReference(
      xs: xs0.doubles, h0: h00.doubles, W: Wg0.doubles, U: Ug0.doubles, b: bg0.doubles,
      T: T, B: B, I: I, H: H)
    assertTensor(outg[0], .float64, [T, B, H], refg.flatMap { $0 }, tol: 1e-12, atol: 1e-14, "GRU h vs loops")
    assertTensor(outg[1], .float64, [B, H], refg.last!, tol: 1e-12, atol: 1e-14, "GRU final h vs loops")
  }

  /// float32 scans agree with float64 scans to float32 precision (the loop does not lose precision).
  func testFloat32ScanTracksFloat64() throws {
    let T = 7
    var results: [[Double]] = []
    for dtype in [DType.float64, .float32] {
      let xs = constant(F.rnd([T, B, I], 31, std: 1, dtype: dtype))
      let r = F.lstmScan(
        xs, h0: constant(F.rnd([B, H], 32, dtype: dtype)), c0: constant(F.rnd([B, H], 33, dtype: dtype)),
        W: constant(F.rnd([I, 4 * H], 34, dtype: dtype)), U: constant(F.rnd([H, 4 * H], 35, dtype: dtype)),
        b: constant(F.rnd([4 * H], 36, dtype: dtype)), H: H)
      let out = try evaluate1(r["h"])
      XCTAssertEqual(out.dtype, dtype)
      results.append(out.doubles)
    }
    assertClose(results[1], results[0], tol: 1e-4, atol: 1e-5, "float32 vs float64 LSTM")
  }
}
