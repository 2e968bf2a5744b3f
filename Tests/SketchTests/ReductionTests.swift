import Codegen
import Foundation
import TestSupport
import XCTest

/// Reductions (sum, mean, max, min, argmax, logsumexp), softmax, logSoftmax and size, over one or
/// several axes, with and without keepDims, against loops written here.
final class ReductionTests: XCTestCase {
  let floatTypes: [DType] = [.float32, .float64]
  let shape = [2, 3, 4]
  /// Axis sets given to the builders (negative ones included) and their normalised form.
  let axisSets: [([Int]?, [Int])] = [
    (nil, [0, 1, 2]), ([0], [0]), ([1], [1]), ([-1], [2]), ([0, 2], [0, 2]),
    ([2, 0], [0, 2]), ([1, 2], [1, 2]), ([0, 1, 2], [0, 1, 2]),
  ]

  func testSumMeanMaxMinOverAxes() throws {
    var rng = SeededGenerator(seed: 7)
    for dtype in floatTypes {
      let arg = rng.tensor(shape, -3, 3, dtype: dtype)
      let v = arg.doubles
      let x = input("x", dtype, [2, 3, 4])
      for (axes, norm) in axisSets {
        for keep in [false, true] {
          let outs = try evaluate(
            [
              sum(x, axes: axes, keepDims: keep), mean(x, axes: axes, keepDims: keep),
              max(x, axes: axes, keepDims: keep), min(x, axes: axes, keepDims: keep),
            ], [x], [arg])
          let s = reduceExpected(v, shape, axes: norm, keepDims: keep, initial: 0, +)
          let count = Double(norm.map { shape[$0] }.reduce(1, *))
          let mx = reduceExpected(v, shape, axes: norm, keepDims: keep, initial: -.infinity, Swift.max)
          let mn = reduceExpected(v, shape, axes: norm, keepDims: keep, initial: .infinity, Swift.min)
          let what = "\(dtype) axes \(String(describing: axes)) keepDims \(keep)"
          assertTensor(outs[0], dtype, s.shape, s.values, tol: tolerance(dtype), atol: tolerance(dtype), what)
          assertTensor(
            outs[1], dtype, s.shape, s.values.map { $0 / count }, tol: tolerance(dtype), atol: tolerance(dtype), what)
          assertTensor(outs[2], dtype, mx.shape, mx.values, what)
          assertTensor(outs[3], dtype, mn.shape, mn.values, what)
        }
      }
    }
  }

  func testReductionsByHand() throws {
    let x = input("x", .float64, [2, 3])
    let arg = tensor([2, 3], [1, 5, 3, -4, 2, 6])
    let outs = try evaluate(
      [
        x.sum(), x.sum(axes: [0]), x.sum(axes: [1], keepDims: true), x.mean(), x.mean(axes: [1]),
        max(x, axes: [0]), min(x, axes: [1], keepDims: true),
      ], [x], [arg])
    assertTensor(outs[0], .float64, [], [13])
    assertTensor(outs[1], .float64, [3], [-3, 7, 9])
    assertTensor(outs[2], .float64, [2, 1], [9, 4])
    assertTensor(outs[3], .float64, [], [13.0 / 6], tol: 1e-15)
    assertTensor(outs[4], .float64, [2], [3, 4.0 / 3], tol: 1e-15)
    assertTensor(outs[5], .float64, [3], [1, 5, 6])
    assertTensor(outs[6], .float64, [2, 1], [1, -4])
    // An empty axis list reduces nothing.
    XCTAssertTrue(sum(x, axes: []) === x)
  }

  func testArgmaxAlongEachAxisFirstOnTies() throws {
    for dtype in floatTypes + [.int32] {
      let x = input("x", dtype, [2, 3])
      let arg = tensor([2, 3], [1, 7, 7, 9, 2, 9], dtype)
      let outs = try evaluate(
        [argmax(x), argmax(x, axis: 0), argmax(x, axis: 1, keepDims: true), argmax(x, axis: -2, keepDims: true)],
        [x], [arg])
      assertTensor(outs[0], .int32, [2], [1, 0])
      assertTensor(outs[1], .int32, [3], [1, 0, 1])
      assertTensor(outs[2], .int32, [2, 1], [1, 0])
      assertTensor(outs[3], .int32, [1, 3], [1, 0, 1])
    }
    // NaN counts as the largest (the first NaN wins).
    let n = input("n", .float64, [4])
    assertTensor(try evaluate1(argmax(n), [n], [tensor([4], [1, .nan, 3, .nan])]), .int32, [], [1])
    // Three axes, against a loop.
    var rng = SeededGenerator(seed: 3)
    let arg = rng.tensor(shape)
    let v = arg.doubles
    let x = input("x", .float64, [2, 3, 4])
    for axis in 0..<3 {
      let out = try evaluate1(argmax(x, axis: axis), [x], [arg])
      var outShape = shape
      outShape.remove(at: axis)
      let expected = allIndices(outShape).map { idx -> Double in
        var best = 0
        for j in 0..<shape[axis] {
          var full = idx
          full.insert(j, at: axis)
          var bestIdx = idx
          bestIdx.insert(best, at: axis)
          if v[flatIndex(full, shape)] > v[flatIndex(bestIdx, shape)] { best = j }
        }
        return Double(best)
      }
      assertTensor(out, .int32, outShape, expected, "axis \(axis)")
    }
  }

  func testLogsumexpOverAxesIsStable() throws {
    var rng = SeededGenerator(seed: 11)
    for dtype in floatTypes {
      let arg = rng.tensor(shape, -4, 4, dtype: dtype)
      let v = arg.doubles
      let x = input("x", dtype, [2, 3, 4])
      for (axes, norm) in axisSets {
        for keep in [false, true] {
          let out = try evaluate1(logsumexp(x, axes: axes, keepDims: keep), [x], [arg])
          let s = reduceExpected(v, shape, axes: norm, keepDims: keep, initial: 0) { $0 + Foundation.exp($1) }
          assertTensor(
            out, dtype, s.shape, s.values.map { Foundation.log($0) }, tol: tolerance(dtype),
            "\(dtype) \(String(describing: axes)) \(keep)")
        }
      }
      // Large values do not overflow; an all -inf row gives -inf, not NaN.
      let y = input("y", dtype, [3, 2])
      let big = tensor([3, 2], [1000, 1000, -1000, -1001, -.infinity, -.infinity], dtype)
      let out = try evaluate1(logsumexp(y, axes: [1]), [y], [big])
      let l2 = Foundation.log(2.0)
      assertTensor(
        out, dtype, [3], [1000 + l2, -1000 + Foundation.log1p(Foundation.exp(-1.0)), -.infinity],
        tol: tolerance(dtype))
    }
  }

  func testSoftmaxAndLogSoftmax() throws {
    var rng = SeededGenerator(seed: 5)
    for dtype in floatTypes {
      let arg = rng.tensor([3, 4], -3, 3, dtype: dtype)
      let v = arg.doubles
      let x = input("x", dtype, [3, 4])
      let outs = try evaluate([softmax(x), logSoftmax(x), softmax(x, axis: 0), logSoftmax(x, axis: 0)], [x], [arg])
      var sm1 = [Double](repeating: 0, count: 12)
      var sm0 = [Double](repeating: 0, count: 12)
      for i in 0..<3 {
        let z = (0..<4).map { Foundation.exp(v[i * 4 + $0]) }.reduce(0, +)
        for j in 0..<4 { sm1[i * 4 + j] = Foundation.exp(v[i * 4 + j]) / z }
      }
      for j in 0..<4 {
        let z = (0..<3).map { Foundation.exp(v[$0 * 4 + j]) }.reduce(0, +)
        for i in 0..<3 { sm0[i * 4 + j] = Foundation.exp(v[i * 4 + j]) / z }
      }
      let tol = dtype == .float32 ? 1e-5 : 1e-12
      assertTensor(outs[0], dtype, [3, 4], sm1, tol: tol)
      assertTensor(outs[1], dtype, [3, 4], sm1.map { Foundation.log($0) }, tol: tol, atol: tol)
      assertTensor(outs[2], dtype, [3, 4], sm0, tol: tol)
      assertTensor(outs[3], dtype, [3, 4], sm0.map { Foundation.log($0) }, tol: tol, atol: tol)
    }
    // Large logits: softmax is max-shifted, no NaN.
    let x = input("x", .float32, [3])
    let outs = try evaluate([softmax(x), logSoftmax(x)], [x], [Tensor([Float(1000), 1000, -1000])])
    assertTensor(outs[0], .float32, [3], [0.5, 0.5, 0], tol: 1e-6)
    assertTensor(
      outs[1], .float32, [3], [-Foundation.log(2.0), -Foundation.log(2.0), -2000 - Foundation.log(2.0)], tol: 1e-6)
  }

  func testSizeAndMeanWithSymbolicDims() throws {
    let x = input("x", .float64, ["B", 3])
    let s = size(x)
    let s0 = size(x, axes: [0], dtype: .int32)
    let s1 = size(x, axes: [1])
    // A statically known count is a constant; an unknown one is computed at run time.
    if case .constant(let t) = s1.op {
      XCTAssertEqual(t.scalarValue, 3)
    } else {
      XCTFail("size of fixed axes is \(s1.op.name)")
    }
    let f = try compile(inputs: [x], outputs: [s, s0, x.mean(), x.mean(axes: [0])])
    for b in [1, 2, 5] {
      let values = (0..<(3 * b)).map { Double($0) }
      let outs = try f(tensor([b, 3], values))
      assertTensor(outs[0], .float64, [], [Double(3 * b)])
      assertTensor(outs[1], .int32, [], [Double(b)])
      assertTensor(outs[2], .float64, [], [Double(3 * b - 1) / 2], tol: 1e-15)
      let colMeans = (0..<3).map { j in (0..<b).map { values[$0 * 3 + j] }.reduce(0, +) / Double(b) }
      assertTensor(outs[3], .float64, [3], colMeans, tol: 1e-15)
    }
  }

  func testBoolReductionIsATypeError() {
    let b = input("b", .bool, [3])
    XCTAssertNotNil(sum(b).failure)
    XCTAssertNotNil(argmax(b).failure)
    XCTAssertNil(sum(b.cast(.int32)).failure)
  }
}
