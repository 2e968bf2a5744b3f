import Codegen
import Foundation
import TestSupport
import XCTest

/// Movement ops that keep values: transpose, dimshuffle, reshape, broadcast, expandDims/squeeze,
/// concatenate and stack, checked element by element with index arithmetic written here.
final class ShapeOpTests: XCTestCase {
  /// 0, 1, 2, ... as a tensor of `shape`.
  func iota(_ shape: [Int], _ dtype: DType = .float64) -> Tensor {
    tensor(shape, (0..<shape.reduce(1, *)).map(Double.init), dtype)
  }

  func testTranspose() throws {
    for dtype: DType in [.float32, .float64, .int32] {
      let x = input("x", dtype, [2, 3])
      let out = try evaluate([transpose(x), x.T], [x], [iota([2, 3], dtype)])
      assertTensor(out[0], dtype, [3, 2], [0, 3, 1, 4, 2, 5])
      assertTensor(out[1], dtype, [3, 2], [0, 3, 1, 4, 2, 5])
    }
    let shape = [2, 3, 4]
    let y = input("y", .float64, [2, 3, 4])
    for perm in [[0, 2, 1], [2, 0, 1], [1, 2, 0], [2, 1, 0]] {
      let out = try evaluate1(transpose(y, perm), [y], [iota(shape)])
      let outShape = perm.map { shape[$0] }
      // out[i0, i1, i2] = y[idx] where idx[perm[j]] = i_j.
      let expected = allIndices(outShape).map { o -> Double in
        var idx = [0, 0, 0]
        for j in 0..<3 { idx[perm[j]] = o[j] }
        return Double(flatIndex(idx, shape))
      }
      assertTensor(out, .float64, outShape, expected, "perm \(perm)")
    }
    XCTAssertTrue(transpose(y, [0, 1, 2]) === y)
    XCTAssertNotNil(transpose(y, [0, 0, 1]).failure)
  }

  func testDimshuffle() throws {
    for dtype: DType in [.float32, .float64] {
      let x = input("x", dtype, [2, 3])
      let outs = try evaluate(
        [
          dimshuffle(x, [1, 0]), dimshuffle(x, ["x", 0, 1]), dimshuffle(x, [0, "x", 1]),
          dimshuffle(x, [1, "x", 0, "x"]),
        ], [x], [iota([2, 3], dtype)])
      assertTensor(outs[0], dtype, [3, 2], [0, 3, 1, 4, 2, 5])
      assertTensor(outs[1], dtype, [1, 2, 3], [0, 1, 2, 3, 4, 5])
      assertTensor(outs[2], dtype, [2, 1, 3], [0, 1, 2, 3, 4, 5])
      assertTensor(outs[3], dtype, [3, 1, 2, 1], [0, 3, 1, 4, 2, 5])
      // Dropping an axis of size 1.
      let y = input("y", dtype, [2, 1, 3])
      let d = try evaluate1(dimshuffle(y, [2, 0]), [y], [iota([2, 1, 3], dtype)])
      assertTensor(d, dtype, [3, 2], [0, 3, 1, 4, 2, 5])
      // With a symbolic dim, the new shape refers to the input at run time.
      let z = input("z", dtype, ["B", 2])
      let f = try compile(inputs: [z], outputs: [dimshuffle(z, [1, "x", 0])])
      assertTensor(try f(iota([3, 2], dtype))[0], dtype, [2, 1, 3], [0, 2, 4, 1, 3, 5])
      XCTAssertEqual(dimshuffle(z, [1, "x", 0]).shape, [2, 1, "B"])
      // Dropping an axis that is not of size 1 is an error.
      let bad = dimshuffle(x, [1])
      XCTAssertTrue(bad.failure?.description.contains("not of size 1") ?? false, "\(String(describing: bad.failure))")
    }
  }

  func testReshape() throws {
    for dtype: DType in [.float32, .float64] {
      let x = input("x", dtype, [2, 3, 2])
      let v = iota([2, 3, 2], dtype)
      let outs = try evaluate(
        [
          reshape(x, [3, 4]), reshape(x, [-1]), reshape(x, [4, -1]), x.reshape([2, -1, 3]),
          reshape(x, [.dim(x, 2), -1]), reshape(x, [1, 12, 1]),
        ], [x], [v])
      let values = v.doubles
      assertTensor(outs[0], dtype, [3, 4], values)
      assertTensor(outs[1], dtype, [12], values)
      assertTensor(outs[2], dtype, [4, 3], values)
      assertTensor(outs[3], dtype, [2, 2, 3], values)
      assertTensor(outs[4], dtype, [2, 6], values)
      assertTensor(outs[5], dtype, [1, 12, 1], values)
      XCTAssertEqual(reshape(x, [4, -1]).shape, [4, 3])

      // Symbolic dims: -1 resolved at run time; .dim(y, 0) copies another input's size.
      let s = input("s", dtype, ["T", "B", 3])
      let y = input("y", dtype, ["N"])
      let flat = reshape(s, [-1, 3])
      let back = reshape(flat, [.dim(s, 0), .dim(s, 1), 3])
      let f = try compile(inputs: [s, y], outputs: [flat, back, reshape(y, [.dim(s, 0), -1])])
      for (t, b) in [(2, 2), (3, 1)] {
        let arg = iota([t, b, 3], dtype)
        let outs = try f(arg, iota([t * 4], dtype))
        assertTensor(outs[0], dtype, [t * b, 3], arg.doubles)
        assertTensor(outs[1], dtype, [t, b, 3], arg.doubles)
        assertTensor(outs[2], dtype, [t, 4], (0..<(t * 4)).map(Double.init))
      }
    }
  }

  func testBroadcastToAndLike() throws {
    for dtype: DType in [.float32, .float64] {
      let x = input("x", dtype, [3, 1])
      let outs = try evaluate(
        [broadcast(x, to: [3, 4]), broadcast(x, to: [2, 3, 4]), broadcast(x, to: [3, 1])], [x],
        [tensor([3, 1], [1, 2, 3], dtype)])
      assertTensor(outs[0], dtype, [3, 4], [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
      assertTensor(
        outs[1], dtype, [2, 3, 4], [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
      assertTensor(outs[2], dtype, [3, 1], [1, 2, 3])

      // Rank extension of a vector, and a scalar.
      let v = input("v", dtype, [3])
      let s = input("s", dtype, [])
      let o2 = try evaluate(
        [broadcast(v, to: [2, 3]), broadcast(s, to: [2, 2])], [v, s],
        [tensor([3], [1, 2, 3], dtype), tensor([], [7], dtype)])
      assertTensor(o2[0], dtype, [2, 3], [1, 2, 3, 1, 2, 3])
      assertTensor(o2[1], dtype, [2, 2], [7, 7, 7, 7])

      // like: a symbolic reference resolved per call.
      let r = input("r", dtype, ["B", 3])
      let f = try compile(
        inputs: [v, r], outputs: [broadcast(v, like: r), fill(like: r, 2.5), onesLike(r), zerosLike(v)])
      for b in [1, 4] {
        let outs = try f(tensor([3], [1, 2, 3], dtype), iota([b, 3], dtype))
        assertTensor(outs[0], dtype, [b, 3], Array([[Double]](repeating: [1, 2, 3], count: b).joined()))
        assertTensor(outs[1], dtype, [b, 3], [Double](repeating: 2.5, count: 3 * b))
        assertTensor(outs[2], dtype, [b, 3], [Double](repeating: 1, count: 3 * b))
        assertTensor(outs[3], dtype, [3], [0, 0, 0])
      }
      XCTAssertTrue(broadcast(r, like: r) === r)
      XCTAssertNotNil(broadcast(v, to: [3, 2]).failure)
      XCTAssertNotNil(broadcast(input("m", dtype, [2, 3]), to: [3]).failure)
    }
  }

  func testExpandDimsAndSqueeze() throws {
    for dtype: DType in [.float32, .float64] {
      let x = input("x", dtype, [2, 3])
      let v = iota([2, 3], dtype).doubles
      let outs = try evaluate(
        [
          expandDims(x, axis: 0), expandDims(x, axis: 1), expandDims(x, axis: 2), expandDims(x, axis: -1),
          squeeze(expandDims(x, axis: 1), axis: 1), squeeze(expandDims(x, axis: 0), axis: -3),
        ], [x], [iota([2, 3], dtype)])
      assertTensor(outs[0], dtype, [1, 2, 3], v)
      assertTensor(outs[1], dtype, [2, 1, 3], v)
      assertTensor(outs[2], dtype, [2, 3, 1], v)
      assertTensor(outs[3], dtype, [2, 3, 1], v)
      assertTensor(outs[4], dtype, [2, 3], v)
      assertTensor(outs[5], dtype, [2, 3], v)
      let bad = squeeze(x, axis: 0)
      XCTAssertTrue(bad.failure?.description.contains("not of size 1") ?? false)
    }
  }

  func testConcatenate() throws {
    for dtype: DType in [.float32, .float64, .int32] {
      let a = input("a", dtype, [2, 2])
      let b = input("b", dtype, [2, 3])
      let c = input("c", dtype, [1, 2])
      let args = [
        tensor([2, 2], [1, 2, 3, 4], dtype), tensor([2, 3], [5, 6, 7, 8, 9, 10], dtype),
        tensor([1, 2], [11, 12], dtype),
      ]
      let outs = try evaluate(
        [concatenate([a, b], axis: 1), concatenate([a, c, a], axis: 0), concatenate([a, b], axis: -1)],
        [a, b, c], args)
      assertTensor(outs[0], dtype, [2, 5], [1, 2, 5, 6, 7, 3, 4, 8, 9, 10])
      assertTensor(outs[1], dtype, [5, 2], [1, 2, 3, 4, 11, 12, 1, 2, 3, 4])
      assertTensor(outs[2], dtype, [2, 5], [1, 2, 5, 6, 7, 3, 4, 8, 9, 10])
      XCTAssertNotNil(concatenate([a, b], axis: 0).failure)
    }
    // A symbolic axis: the result's size is the sum at run time.
    let s = input("s", .float64, ["T", 2])
    let t = input("t", .float64, [1, 2])
    let f = try compile(inputs: [s, t], outputs: [concatenate([t, s, t])])
    let out = try f(iota([3, 2]), tensor([1, 2], [-1, -2]))[0]
    assertTensor(out, .float64, [5, 2], [-1, -2, 0, 1, 2, 3, 4, 5, -1, -2])
    let x = input("x", .float64, [2])
    XCTAssertTrue(concatenate([x]) === x)
  }

  func testStack() throws {
    for dtype: DType in [.float32, .float64] {
      let a = input("a", dtype, [2, 3])
      let b = input("b", dtype, [2, 3])
      let av = iota([2, 3], dtype).doubles
      let bv = av.map { $0 + 10 }
      let outs = try evaluate(
        [stack([a, b]), stack([a, b], axis: 1), stack([a, b], axis: -1), stack([a])], [a, b],
        [tensor([2, 3], av, dtype), tensor([2, 3], bv, dtype)])
      assertTensor(outs[0], dtype, [2, 2, 3], av + bv)
      assertTensor(outs[1], dtype, [2, 2, 3], [0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15])
      assertTensor(outs[2], dtype, [2, 3, 2], [0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15])
      assertTensor(outs[3], dtype, [1, 2, 3], av)
    }
  }
}
