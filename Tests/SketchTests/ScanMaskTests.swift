import Codegen
import Foundation
import TestSupport
import XCTest

// `scan(..., mask: m)` with m [T, B]: carries of batch row b stay frozen where mask[t, b] is false.

final class ScanMaskTests: XCTestCase {
  typealias F = ScanFixtures
  let T = 5, B = 2, I = 3, H = 3
  /// Row 0 has all 5 steps, row 1 only its first 3.
  let lengths = [5, 3]

  private func maskValues() -> [Double] {
    (0..<T).flatMap { t in (0..<B).map { b in t < lengths[b] ? 1.0 : 0.0 } }
  }

  private func mask(_ dtype: DType) -> Tensor {
    dtype == .bool
      ? Tensor(shape: [T, B], maskValues().map { $0 != 0 }) : Tensor(shape: [T, B], dtype: dtype, values: maskValues())
  }

  /// xs with the padded entries (t >= length) set to large garbage, so a leak would show.
  private func paddedInputs() -> Tensor {
    var x = F.rnd([T, B, I], 1, std: 1).doubles
    for t in 0..<T {
      for b in 0..<B where t >= lengths[b] { for i in 0..<I { x[(t * B + b) * I + i] = 50 + Double(i) } }
    }
    return Tensor(shape: [T, B, I], x)
  }

  /// The rows of a [B, H] tensor.
  private func row(_ t: Tensor, _ b: Int) -> [Double] { Array(t.doubles[(b * H)..<((b + 1) * H)]) }

  /// A padded batch gives, for each row, the final carries of running that row alone for its length.
  func testPaddedBatchFinalCarriesEqualUnpaddedRuns() throws {
    let xs0 = paddedInputs()
    let h00 = F.rnd([B, H], 2)
    let c00 = F.rnd([B, H], 3)
    let W = constant(F.rnd([I, 4 * H], 4))
    let U = constant(F.rnd([H, 4 * H], 5))
    let b = constant(F.rnd([4 * H], 6))
    let xs = input("xs", .float64, ["T", .fixed(B), .fixed(I)])
    let h0 = input("h0", .float64, [.fixed(B), .fixed(H)])
    let c0 = input("c0", .float64, [.fixed(B), .fixed(H)])
    for dtype in [DType.bool, .float64, .float32] {
      let m = input("mask", dtype, ["T", .fixed(B)])
      let masked = F.lstmScan(xs, h0: h0, c0: c0, W: W, U: U, b: b, H: H, mask: m)
      let out = try evaluate(
        [masked.final["h"], masked.final["c"], masked["h"]], [xs, h0, c0, m], [xs0, h00, c00, mask(dtype)])
      for bi in 0..<B {
        // Row bi alone, for its own length, without a mask.
        let len = lengths[bi]
        let alone = F.lstmScan(
          constant(xs0)[0..<len, bi..<(bi + 1)], h0: constant(h00)[bi..<(bi + 1)],
          c0: constant(c00)[bi..<(bi + 1)], W: W, U: U, b: b, H: H)
        let ref = try evaluate([alone.final["h"], alone.final["c"], alone["h"]])
        assertClose(row(out[0], bi), ref[0].doubles, tol: 1e-12, "final h, row \(bi), mask \(dtype)")
        assertClose(row(out[1], bi), ref[1].doubles, tol: 1e-12, "final c, row \(bi), mask \(dtype)")
        // The valid per-step outputs agree too.
        for t in 0..<len {
          let o = Array(out[2].doubles[((t * B + bi) * H)..<((t * B + bi + 1) * H)])
          assertClose(o, Array(ref[2].doubles[(t * H)..<((t + 1) * H)]), tol: 1e-12, "h[\(t)], row \(bi)")
        }
      }
      // Without the mask, row 1's final state differs (the padding would leak in).
      let unmasked = F.lstmScan(xs, h0: h0, c0: c0, W: W, U: U, b: b, H: H)
      let u = try evaluate([unmasked.final["h"]], [xs, h0, c0], [xs0, h00, c00])
      XCTAssertEqual(row(u[0], 0), row(out[0], 0), "row 0 is never masked")
      XCTAssertGreaterThan(zip(row(u[0], 1), row(out[0], 1)).map { Swift.abs($0 - $1) }.max()!, 1e-3)
    }
  }

  /// A mask row that is false from the start keeps the initial carries; a steps-style mask with all
  /// rows valid changes nothing.
  func testAllFalseRowKeepsInitialCarry() throws {
    let xs0 = F.rnd([T, B, I], 7, std: 1)
    let h00 = F.rnd([B, H], 8)
    let W = constant(F.rnd([I, H], 9))
    let U = constant(F.rnd([H, H], 10))
    var mv = [Bool](repeating: true, count: T * B)
    for t in 0..<T { mv[t * B + 1] = false }
    func rnn(_ mask: Var?) -> ScanResult {
      scan(sequences: ["x": constant(xs0)], carries: ["h": constant(h00)], mask: mask) { s in
        let h = tanh(matmul(s["x"], W) + matmul(s["h"], U))
        return ScanStepResult(carries: ["h": h], outputs: ["h": h])
      }
    }
    let out = try evaluate([
      rnn(constant(Tensor(shape: [T, B], mv))).final["h"], rnn(nil).final["h"],
      rnn(constant(Tensor(shape: [T, B], [Bool](repeating: true, count: T * B)))).final["h"],
    ])
    XCTAssertEqual(row(out[0], 1), row(h00, 1), "an all-false row keeps h0 exactly")
    XCTAssertEqual(row(out[0], 0), row(out[1], 0))
    XCTAssertEqual(out[2].doubles, out[1].doubles, "an all-true mask is no mask")
  }

  /// A masked cost sum(mask * per-step value) has correct gradients (both policies, bool and float masks).
  func testMaskedCostGradient() throws {
    let pts = [
      paddedInputs(), F.rnd([I, 4 * H], 11), F.rnd([H, 4 * H], 12), F.rnd([4 * H], 13), F.rnd([B, H], 14),
      F.rnd([B, H], 15),
    ]
    for (dtype, policy) in [(DType.bool, ScanPolicy.store), (.float64, .recompute)] {
      let mt = mask(dtype)
      do {
        try checkGradient(at: pts, names: ["xs", "W", "U", "b", "h0", "c0"]) { v in
          let m = constant(mt)
          let r = F.lstmScan(v[0], h0: v[4], c0: v[5], W: v[1], U: v[2], b: v[3], H: H, mask: m, policy: policy)
          let w = reshape(constant(Tensor(shape: [T, B], maskValues())), [.n(T), .n(B), 1])
          return sum(w * r["h"]) + r.final["c"]
        }
      } catch {
        XCTFail("masked cost, \(dtype) mask, \(policy): \(error)")
      }
    }
  }

  /// The gradient of the masked cost with respect to padded inputs is exactly zero; the valid inputs
  /// get nonzero gradients.
  func testGradientWithRespectToPaddingIsZero() throws {
    let xs = input("xs", .float64, [.fixed(T), .fixed(B), .fixed(I)])
    let h0 = input("h0", .float64, [.fixed(B), .fixed(H)])
    let c0 = input("c0", .float64, [.fixed(B), .fixed(H)])
    let W = constant(F.rnd([I, 4 * H], 21))
    let U = constant(F.rnd([H, 4 * H], 22))
    let b = constant(F.rnd([4 * H], 23))
    for (dtype, policy) in [(DType.bool, ScanPolicy.store), (.float32, .recompute)] {
      let m = constant(mask(dtype))
      let r = F.lstmScan(xs, h0: h0, c0: c0, W: W, U: U, b: b, H: H, mask: m, policy: policy)
      let w = reshape(constant(Tensor(shape: [T, B], maskValues())), [.n(T), .n(B), 1])
      let cost = sum(w * r["h"]) + sum(r.final["h"]) + sum(r.final["c"])
      let g = try grad(cost, wrt: [xs, h0, c0])
      let out = try evaluate(g, [xs, h0, c0], [paddedInputs(), F.rnd([B, H], 24), F.rnd([B, H], 25)])
      let gx = out[0].doubles
      for t in 0..<T {
        for bi in 0..<B {
          let gr = Array(gx[((t * B + bi) * I)..<((t * B + bi + 1) * I)])
          if t >= lengths[bi] {
            XCTAssertEqual(gr, [Double](repeating: 0, count: I), "d cost / d xs[\(t), \(bi)] (padding), \(dtype)")
          } else {
            XCTAssertGreaterThan(gr.map { Swift.abs($0) }.max()!, 1e-6, "d cost / d xs[\(t), \(bi)] (valid), \(dtype)")
          }
        }
      }
      XCTAssertGreaterThan(out[1].doubles.map { Swift.abs($0) }.max()!, 1e-6)
    }
  }

  /// A mask must be [T, B]; a carry without a leading batch axis cannot be masked.
  func testMaskShapeErrors() throws {
    let xs = constant(F.rnd([T, B, I], 31))
    let r = scan(
      sequences: ["x": xs], carries: ["h": constant(F.rnd([B, H], 32))],
      mask: constant(Tensor(shape: [T], [Bool](repeating: true, count: T)))
    ) { s in
      ScanStepResult(carries: ["h": s["h"]])
    }
    assertThrows(["mask must be [T, B]"]) { try r.final["h"].check() }
    let r2 = scan(sequences: ["x": xs], carries: ["n": constant(Tensor(scalar: 0.0))], mask: constant(mask(.bool))) {
      s in
      ScanStepResult(carries: ["n": s["n"] + 1.0])
    }
    assertThrows(["carry 'n'", "batch axis first"]) { try r2.final["n"].check() }
    // A mask whose length or batch size does not fit, statically: named as the mask, not by an
    // internal sequence name.
    let line = #line + 1
    let r3 = scan(
      sequences: ["x": xs], carries: ["h": constant(F.rnd([B, H], 33))],
      mask: constant(Tensor(shape: [T - 1, B], [Bool](repeating: true, count: (T - 1) * B)))
    ) { s in
      ScanStepResult(carries: ["h": s["h"]])
    }
    let text = assertThrows(["the mask has 4 steps", "5", "SketchTests/ScanMaskTests.swift:\(line)"]) {
      try r3.final["h"].check()
    }
    XCTAssertFalse(text?.contains("__mask") ?? true)
    let r4 = scan(
      sequences: ["x": xs], carries: ["h": constant(F.rnd([B, H], 34))],
      mask: constant(Tensor(shape: [T, 3], [Bool](repeating: true, count: T * 3)))
    ) { s in
      ScanStepResult(carries: ["h": s["h"]])
    }
    assertThrows(["the mask is bool[5,3] (batch size 3)", "carry 'h' is f64[2,3] (batch size 2)"]) {
      try r4.final["h"].check()
    }
  }

  /// The same mistakes with symbolic sizes are caught when the function runs, with clear messages.
  func testMaskShapeErrorsAtRunTime() throws {
    let x = input("x", .float64, ["T", "B", .fixed(I)])
    let h = input("h", .float64, ["B", .fixed(H)])
    let m = input("m", .bool, ["U", "C"])
    let line = #line + 1
    let r = scan(sequences: ["x": x], carries: ["h": h], mask: m) { s in ScanStepResult(carries: ["h": s["h"] * 2.0]) }
    let f = try compile(inputs: [x, h, m], outputs: [r.final["h"]])
    let xs = Tensor.zeros(.float64, [T, B, I])
    let h0 = Tensor.filled(1, dtype: .float64, shape: [B, H])
    let text = assertThrows(["the mask has 4 steps but the scan runs 5", "SketchTests/ScanMaskTests.swift:\(line)"]) {
      try f.call([xs, h0, Tensor(shape: [T - 1, B], [Bool](repeating: true, count: (T - 1) * B))])
    }
    XCTAssertFalse(text?.contains("__mask") ?? true)
    let text2 = assertThrows([
      "the mask is [5, 3] (batch size 3)", "carry 'h' is [2, 3]", "SketchTests/ScanMaskTests.swift:\(line)",
    ]) {
      try f.call([xs, h0, Tensor(shape: [T, 3], [Bool](repeating: true, count: T * 3))])
    }
    XCTAssertFalse(text2?.contains("Graph/") ?? true, "the error points at the user's code, not the library's")
    // The right shapes run: row 1 is valid for 3 steps, row 0 for all 5.
    let out = try f.call([xs, h0, mask(.bool)])
    assertTensor(out[0], .float64, [B, H], [Double](repeating: 32, count: H) + [Double](repeating: 8, count: H))
  }

  /// The nodes the mask adds to the body record the scan's location, not the library's.
  func testMaskNodesRecordTheScanLocation() throws {
    let line = #line + 1
    let r = scan(
      sequences: ["x": constant(F.rnd([T, B, I], 41))], carries: ["h": constant(F.rnd([B, H], 42))],
      mask: constant(mask(.float64))
    ) { s in
      ScanStepResult(carries: ["h": s["h"] * 2.0])
    }
    guard case .scan(let spec) = r.node.op else { return XCTFail("not a scan node") }
    let body = spec.bodyGraph
    let located = body.nodes.filter { if case .select = $0.op { return true } else { return false } }
    XCTAssertEqual(located.count, 1)
    for n in body.nodes where !n.inputs.isEmpty {
      XCTAssertEqual("\(n.location)", "SketchTests/ScanMaskTests.swift:\(line)", "\(n.op.name)")
    }
  }
}
