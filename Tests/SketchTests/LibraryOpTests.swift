import Codegen
import Foundation
import TestSupport
import XCTest

/// The ops a model author reaches for beyond the core: takeAlong (take_along_axis), oneHot, arange
/// with a run-time length, cumsum both ways, sparseSoftmaxCrossEntropy, the `.newAxis` subscript item
/// and shape lists holding Int expressions. Values against expectations written out here, gradients
/// against finite differences, and the native backend against the interpreter on the same graphs.
final class LibraryOpTests: XCTestCase {
  /// The outputs on the interpreter, after checking that the native backend gives the same values
  /// (bit for bit: these ops do no arithmetic, or the same sums in the same order).
  func both(_ outputs: [Var], _ inputs: [Var], _ args: [Tensor], file: StaticString = #filePath, line: UInt = #line)
    throws -> [Tensor]
  {
    let ref = try compile(inputs: inputs, outputs: outputs, mode: .interpreter).call(args)
    let native = try compile(inputs: inputs, outputs: outputs, mode: .native)
    XCTAssertEqual(native.backend, .native, "the native backend builds it", file: file, line: line)
    let got = try native.call(args)
    for (k, (a, b)) in zip(ref, got).enumerated() {
      XCTAssertEqual(a.shape, b.shape, "output \(k) shape", file: file, line: line)
      XCTAssertEqual(a.dtype, b.dtype, "output \(k) dtype", file: file, line: line)
      XCTAssertEqual(a.doubles, b.doubles, "output \(k): native differs from the interpreter", file: file, line: line)
    }
    return ref
  }

  func gradientCheck(
    _ what: String, _ points: [Tensor], mode: Mode = .interpreter, file: StaticString = #filePath, line: UInt = #line,
    _ build: ([Var]) -> Var
  ) {
    do { try checkGradient(at: points, mode: mode, build) } catch { XCTFail("\(what): \(error)", file: file, line: line) }
  }

  // MARK: - takeAlong

  func testTakeAlongPicksOnePositionPerRow() throws {
    let xv = (0..<12).map { Double($0) * 1.5 - 4 }
    for dtype: DType in [.float32, .float64, .int32] {
      let v = dtype == .int32 ? xv.map { $0.rounded(.towardZero) } : xv
      let x = input("x", dtype, [3, 4])
      let last = input("last", .int32, [3, 2])
      let first = input("first", .int32, [1, 4])
      let outs = try both(
        [takeAlong(x, last, axis: -1), takeAlong(x, first, axis: 0)], [x, last, first],
        [tensor([3, 4], v, dtype), Tensor(shape: [3, 2], [Int32(3), 0, -1, 1, 2, 2]), Tensor(shape: [1, 4], [Int32(2), 0, -3, 1])])
      // out[r, j] = x[r, idx[r, j]] (negative from the end); out[0, c] = x[idx[0, c], c].
      assertTensor(outs[0], dtype, [3, 2], [v[3], v[0], v[4 + 3], v[4 + 1], v[8 + 2], v[8 + 2]])
      assertTensor(outs[1], dtype, [1, 4], [v[8], v[1], v[2], v[4 + 3]])
    }
  }

  func testTakeAlongErrors() throws {
    let x = input("x", .float64, [3, 4])
    let i = input("i", .int32, [3, 1])
    for mode: Mode in [.interpreter, .native] {
      let f = try compile(inputs: [x, i], outputs: [takeAlong(x, i, axis: 1)], mode: mode)
      assertThrows(["takeAlong", "index 4 is out of range for axis 1 of size 4"]) {
        try f(tensor([3, 4], Array(repeating: 0, count: 12)), Tensor(shape: [3, 1], [Int32(0), 4, 1]))
      }
      assertThrows(["index -5 is out of range"]) {
        try f(tensor([3, 4], Array(repeating: 0, count: 12)), Tensor(shape: [3, 1], [Int32(0), -5, 1]))
      }
    }
    // Static mistakes are graph errors at the call site.
    XCTAssertNotNil(takeAlong(x, input("j", .int32, [3]), axis: 1).failure, "rank")
    XCTAssertNotNil(takeAlong(x, input("j", .int32, [2, 1]), axis: 1).failure, "another axis differs")
    XCTAssertNotNil(takeAlong(x, input("j", .float32, [3, 1]), axis: 1).failure, "float indices")
    // Symbolic sizes that disagree fail when the function runs, naming the op.
    let y = input("y", .float64, ["B", 4])
    let k = input("k", .int32, ["C", 1])
    let g = try compile(inputs: [y, k], outputs: [takeAlong(y, k, axis: 1)], mode: .native)
    assertThrows(["takeAlong", "[2, 1]", "[3, 4]", "every axis but 1"]) {
      try g(tensor([3, 4], Array(repeating: 0, count: 12)), Tensor(shape: [2, 1], [Int32(0), 1]))
    }
  }

  func testTakeAlongGradientScatterAdds() throws {
    var rng = SeededGenerator(seed: 900)
    let idx = constant(Tensor(shape: [3, 3], [Int32(0), 2, 2, -1, 1, 1, 3, 0, 3]))
    for mode: Mode in [.interpreter, .native] {
      gradientCheck("takeAlong, repeated indices", [rng.tensor([3, 4])], mode: mode) { v in
        tanh(takeAlong(v[0], idx, axis: 1)) * 1.5
      }
      gradientCheck("takeAlong axis 0", [rng.tensor([4, 3])], mode: mode) { v in
        square(takeAlong(v[0], constant(Tensor(shape: [2, 3], [Int32(3), 0, 0, 1, 1, -1])), axis: 0))
      }
    }
    // The gradient itself: repeated indices add up.
    let x = input("x", .float64, [2, 3])
    let i = input("i", .int32, [2, 2])
    let gx = try grad(sum(takeAlong(x, i, axis: 1) * constant(tensor([2, 2], [1, 2, 3, 4]))), wrt: x)
    let out = try both([gx], [x, i], [tensor([2, 3], [0, 0, 0, 0, 0, 0]), Tensor(shape: [2, 2], [Int32(1), 1, 2, 0])])
    assertTensor(out[0], .float64, [2, 3], [0, 3, 0, 4, 0, 3])
  }

  // MARK: - oneHot

  func testOneHotRowsAndPadding() throws {
    let i = input("i", .int32, ["B", 3])
    for dtype: DType in [.float32, .float64, .int32, .bool] {
      let out = try both([oneHot(i, depth: 4, dtype: dtype)], [i], [Tensor(shape: [2, 3], [Int32(0), 3, -1, 2, 4, 1])])
      var want = [Double](repeating: 0, count: 24)
      for (k, c) in [0, 3, -1, 2, 4, 1].enumerated() where (0..<4).contains(c) { want[k * 4 + c] = 1 }
      // -1 and 4 (outside 0..<4) give rows of zeros, as in jax.nn.one_hot.
      assertTensor(out[0], dtype, [2, 3, 4], want)
    }
    XCTAssertEqual(oneHot(i, depth: 7).type, TensorType(.float32, ["B", 3, 7]))
    XCTAssertNotNil(oneHot(input("f", .float32, [2]), depth: 3).failure)
    XCTAssertNotNil(oneHot(i, depth: 0).failure)
    // A one-hot product has the gradient of the matrix it selects from.
    var rng = SeededGenerator(seed: 3)
    gradientCheck("oneHot · W", [rng.tensor([4, 2])]) { v in
      tanh(matmul(oneHot(constant(Tensor([Int32(2), 0, 3])), depth: 4, dtype: .float64), v[0]))
    }
  }

  // MARK: - arange

  func testArangeWithARunTimeLength() throws {
    let text = input("text", .int32, ["B", "U"])
    let u = arange(.dim(text, 1), dtype: .float64)
    XCTAssertEqual(u.type, TensorType(.float64, ["U"]))
    let f = try compile(inputs: [text], outputs: [u, arange(5), arange(.dim(text, 0), dtype: .float32) * 0.5])
    for n in [1, 3, 7] {
      let outs = try f(Tensor(shape: [2, n], [Int32](repeating: 0, count: 2 * n)))
      assertTensor(outs[0], .float64, [n], (0..<n).map(Double.init))
      assertTensor(outs[1], .int32, [5], [0, 1, 2, 3, 4])
      assertTensor(outs[2], .float32, [2], [0, 0.5])
    }
    _ = try both([u, arange(0)], [text], [Tensor(shape: [2, 6], [Int32](repeating: 1, count: 12))])
    XCTAssertNotNil(arange(-1).failure, "-1 is not a length")
    XCTAssertNotNil(arange(3, dtype: .bool).failure)
  }

  /// Graves' attention window with one position per character at run time (the text length is not a
  /// host constant): `phi[b, u] = sum_k alpha exp(-beta (kappa - u)^2)`.
  func testArangeInAWindowOverTextsOfAnyLength() throws {
    let kappa = input("kappa", .float64, ["B", 3])
    let text = input("text", .float64, ["B", "U", 2])
    let u = arange(.dim(text, 1), dtype: .float64)
    let phi = sum(exp(-square(kappa[.all, .all, .newAxis] - u)), axes: [1])  // [B, U]
    let w = sum(phi[.all, .all, .newAxis] * text, axes: [1])  // [B, 2]
    let kv: [Double] = [0.5, 1.0, 2.5, 0, 3, 1.2]
    for n in [2, 4] {
      let tv = (0..<(2 * n * 2)).map { Double($0 % 5) - 1 }
      let out = try both([w], [kappa, text], [tensor([2, 3], kv), tensor([2, n, 2], tv)])[0]
      var want = [Double](repeating: 0, count: 4)
      for b in 0..<2 {
        for j in 0..<n {
          let p = (0..<3).map { exp(-pow(kv[b * 3 + $0] - Double(j), 2)) }.reduce(0, +)
          for c in 0..<2 { want[b * 2 + c] += p * tv[(b * n + j) * 2 + c] }
        }
      }
      assertTensor(out, .float64, [2, 2], want, tol: 1e-12)
    }
  }

  // MARK: - cumsum

  func testCumsumBothWays() throws {
    let xv = (0..<24).map { Double(($0 * 7) % 11) - 4.5 }
    let shape = [2, 3, 4]
    for dtype: DType in [.float32, .float64, .int32] {
      let v = dtype == .int32 ? xv.map { $0.rounded(.towardZero) } : xv
      let x = input("x", dtype, [2, 3, 4])
      let outs = try both(
        [cumsum(x, axis: 1), cumsum(x, axis: 1, reverse: true), cumsum(x, axis: -1), cumsum(x, axis: 0, reverse: true)],
        [x], [tensor(shape, v, dtype)])
      func expected(_ axis: Int, reverse: Bool) -> [Double] {
        allIndices(shape).map { idx in
          let n = shape[axis]
          let range = reverse ? Array(idx[axis]..<n) : Array(0...idx[axis])
          // In the kernel's order: from the start, or from the end when reversed.
          var s = 0.0
          for j in (reverse ? range.reversed() : range) {
            var k = idx
            k[axis] = j
            s = dtype == .float32 ? Double(Float(s) + Float(v[flatIndex(k, shape)])) : s + v[flatIndex(k, shape)]
          }
          return s
        }
      }
      assertTensor(outs[0], dtype, shape, expected(1, reverse: false))
      assertTensor(outs[1], dtype, shape, expected(1, reverse: true))
      assertTensor(outs[2], dtype, shape, expected(2, reverse: false))
      assertTensor(outs[3], dtype, shape, expected(0, reverse: true))
    }
    XCTAssertNotNil(cumsum(input("b", .bool, [3]), axis: 0).failure)
    XCTAssertNotNil(cumsum(input("x", .float32, [3]), axis: 1).failure)
  }

  func testCumsumGradient() {
    var rng = SeededGenerator(seed: 901)
    for mode: Mode in [.interpreter, .native] {
      gradientCheck("cumsum axis 1", [rng.tensor([2, 5, 3])], mode: mode) { v in sin(cumsum(v[0], axis: 1)) }
      gradientCheck("reverse cumsum axis 0", [rng.tensor([4, 2])], mode: mode) { v in
        square(cumsum(v[0], axis: 0, reverse: true))
      }
    }
  }

  // MARK: - sparseSoftmaxCrossEntropy

  func testSparseSoftmaxCrossEntropy() throws {
    let logits = input("logits", .float64, ["T", "B", 5])
    let labels = input("labels", .int32, ["T", "B"])
    let loss = sparseSoftmaxCrossEntropy(logits: logits, labels: labels)
    XCTAssertEqual(loss.type, TensorType(.float64, ["T", "B"]))
    let lv = (0..<30).map { sin(Double($0) * 1.7) * 3 }
    // A large logit (1000) is stable: no overflow, no NaN.
    var lv2 = lv
    lv2[7] = 1000
    let yv: [Int32] = [0, 4, 2, 1, 3, 2]
    for values in [lv, lv2] {
      let out = try both([loss], [logits, labels], [tensor([2, 3, 5], values), Tensor(shape: [2, 3], yv)])[0]
      let want = (0..<6).map { r -> Double in
        let row = Array(values[(r * 5)..<(r * 5 + 5)])
        let m = row.max()!
        return m + log(row.map { exp($0 - m) }.reduce(0, +)) - row[Int(yv[r])]
      }
      assertTensor(out, .float64, [2, 3], want, tol: 1e-13)
    }
    var rng = SeededGenerator(seed: 902)
    for mode: Mode in [.interpreter, .native] {
      gradientCheck("sparse cross-entropy", [rng.tensor([3, 4])], mode: mode) { v in
        sparseSoftmaxCrossEntropy(logits: v[0], labels: constant(Tensor([Int32(3), 0, 3]))) * 0.7
      }
    }
    // The gradient is softmax - onehot.
    let g = try grad(sum(loss), wrt: logits)
    let gv = try both([g], [logits, labels], [tensor([2, 3, 5], lv), Tensor(shape: [2, 3], yv)])[0].doubles
    for r in 0..<6 {
      let row = Array(lv[(r * 5)..<(r * 5 + 5)])
      let e = row.map { exp($0 - row.max()!) }
      let s = e.reduce(0, +)
      assertClose(Array(gv[(r * 5)..<(r * 5 + 5)]), (0..<5).map { e[$0] / s - ($0 == Int(yv[r]) ? 1 : 0) }, tol: 1e-12)
    }
    let bad = sparseSoftmaxCrossEntropy(logits: logits, labels: input("l", .int32, ["T"]))
    XCTAssertTrue(bad.failure.map { "\($0)".contains("the labels have the logits' shape without the class axis") } ?? false)
    let f = try compile(inputs: [logits, labels], outputs: [loss], mode: .native)
    assertThrows(["index 5 is out of range for axis 2 of size 5"]) {
      try f(tensor([1, 1, 5], [1, 2, 3, 4, 5]), Tensor(shape: [1, 1], [Int32(5)]))
    }
  }

  // MARK: - Subscripts and shape lists

  func testNewAxisSubscript() throws {
    let x = input("x", .float64, ["T", 3])
    XCTAssertEqual(x[.newAxis].type, TensorType(.float64, [1, "T", 3]))
    XCTAssertEqual(x[.all, .newAxis].type, TensorType(.float64, ["T", 1, 3]))
    XCTAssertEqual(x[.all, .all, .newAxis].type, TensorType(.float64, ["T", 3, 1]))
    XCTAssertEqual(x[0, .newAxis].type, TensorType(.float64, [1, 3]))
    XCTAssertEqual(x[.newAxis, 1..<3, .newAxis, 2].type, TensorType(.float64, [1, .unknown, 1]), "a slice of T has an unknown size")
    let v = (0..<12).map(Double.init)
    let outs = try both([x[.newAxis, 1..<3, .newAxis, 2], x[.all, .newAxis] - x[.newAxis]], [x], [tensor([4, 3], v)])
    assertTensor(outs[0], .float64, [1, 2, 1], [v[5], v[8]])
    // Pairwise differences [4, 1, 3] - [1, 4, 3] = [4, 4, 3].
    assertTensor(
      outs[1], .float64, [4, 4, 3], allIndices([4, 4, 3]).map { i in v[i[0] * 3 + i[2]] - v[i[1] * 3 + i[2]] })
  }

  func testShapeListsTakeIntExpressions() throws {
    let (T, B, M) = (4, 2, 3)
    let x = input("x", .float64, [T + 1, B, 3 * M])
    XCTAssertEqual(x.type, TensorType(.float64, [5, 2, 9]))
    let c = input("c", .int32, ["B", M + 1])
    XCTAssertEqual(c.type, TensorType(.int32, ["B", 4]))
    let y = reshape(x, [-1, M, 3])
    XCTAssertEqual(y.type.shape[1...], [3, 3])
    let z = x.reshape([.dim(x, 0), B * M, -1])
    XCTAssertEqual(z.type.shape[1], 6)
    let r = broadcast(input("s", .float64, [1, M]), to: [.dim(x, 1), M])
    XCTAssertEqual(r.type, TensorType(.float64, [2, 3]))
    let v = (0..<90).map { Double($0) / 7 }
    let outs = try both([y, z], [x], [tensor([5, 2, 9], v)])
    assertTensor(outs[0], .float64, [10, 3, 3], v)
    assertTensor(outs[1], .float64, [5, 6, 3], v)
  }

  // MARK: - Inside a loop

  /// A character-level recurrent language model's step, written with the new ops inside `scan`
  /// (one-hot inputs, sparse cross-entropy, a running sum): the gradient through the loop against
  /// finite differences on both backends, and the two backends against each other.
  func testNewOpsInsideAScanBody() throws {
    let (T, B, V, H) = (5, 2, 4, 3)
    let ids: [Int32] = [0, 3, 1, 1, 2, 0, 3, 3, 1, 2, 0, 1]  // [T + 1, B]
    let chars = constant(Tensor(shape: [T + 1, B], ids))
    var rng = SeededGenerator(seed: 903)
    let points = [rng.tensor([V, H]), rng.tensor([H, H]), rng.tensor([H, V])]
    func cost(_ v: [Var]) -> Var {
      let r = scan(
        sequences: ["x": chars[..<T], "y": chars[1...]],
        carries: ["h": fill(like: matmul(oneHot(chars[0], depth: V, dtype: .float64), v[0]), 0)]
      ) { s in
        let h = tanh(matmul(oneHot(s["x"], depth: V, dtype: .float64), v[0]) + matmul(s["h"], v[1]))
        let logits = matmul(h, v[2])
        let loss = sparseSoftmaxCrossEntropy(logits: cumsum(logits, axis: 1) * 0.5, labels: s["y"])
        return ScanStepResult(carries: ["h": h], outputs: ["loss": loss])
      }
      return sum(r["loss"]) / Double(T * B)
    }
    for mode: Mode in [.interpreter, .native] { gradientCheck("char-LM step, \(mode)", points, mode: mode, cost) }
    let ws = [input("E", .float64, [V, H]), input("W", .float64, [H, H]), input("U", .float64, [H, V])]
    let c = cost(ws)
    let outs = try both([c] + (try grad(c, wrt: ws)), ws, points)
    XCTAssertTrue(outs[0].scalarValue > 0 && outs[0].scalarValue.isFinite)
  }

  // MARK: - clipGradient

  /// The identity forward; backward, the gradient clamped to the bounds (Graves' derivative clipping),
  /// also inside a loop; and, with bounds the gradient stays within, the true gradient.
  func testClipGradientClampsOnlyTheGradient() throws {
    let x = input("x", .float64, [4])
    let y = sum(square(clipGradient(x * 3, -2, 5)))  // dy/d(3x) = 6x, clamped, then times 3
    let g = try grad(y, wrt: x)
    let xv: [Double] = [-1, -0.2, 0.5, 2]
    let out = try both([clipGradient(x, -1, 1), g], [x], [tensor([4], xv)])
    assertTensor(out[0], .float64, [4], xv)
    assertTensor(out[1], .float64, [4], xv.map { 3 * Swift.min(Swift.max(6 * $0, -2), 5) })
    var rng = SeededGenerator(seed: 904)
    for mode: Mode in [.interpreter, .native] {
      gradientCheck("clipGradient, bounds not reached", [rng.tensor([3, 2])], mode: mode) { v in
        tanh(clipGradient(v[0] * 2, -100, 100))
      }
    }
    // In a recurrence: every step's pre-activation gradient is clamped.
    let h0 = input("h0", .float64, [2])
    let r = scan(steps: 3, carries: ["h": h0]) { s in
      let h = tanh(clipGradient(s["h"] * 4, -0.01, 0.01))
      return ScanStepResult(carries: ["h": h], outputs: ["h": h])
    }
    let gh = try grad(sum(r.final["h"]), wrt: h0)
    let v = try both([gh], [h0], [tensor([2], [0.1, -0.3])])[0].doubles
    // d(final)/dh0 = 4 * clamp(...): each factor passes a clamped gradient of at most 0.01.
    XCTAssertTrue(v.allSatisfy { Swift.abs($0) <= 4 * 0.01 + 1e-15 && $0 != 0 }, "\(v)")
    XCTAssertNotNil(clipGradient(x, 1, -1).failure)
    XCTAssertNotNil(clipGradient(input("i", .int32, [2]), -1, 1).failure)
  }
}
