import Codegen
import Foundation
import TestSupport
import XCTest

/// Slicing and indexing (subscripts, SliceRange with negative steps, integer indices), setSlice,
/// incSlice, take and stopGradient, against Python's slice semantics written out here.
final class IndexingTests: XCTestCase {
  /// The indices Python's `range(n)[start:stop:step]` selects (slice.indices, by the language reference).
  func pyIndices(_ n: Int, _ start: Int?, _ stop: Int?, _ step: Int = 1) -> [Int] {
    var lo: Int
    var hi: Int
    if step > 0 {
      lo = start.map { $0 < 0 ? Swift.max($0 + n, 0) : Swift.min($0, n) } ?? 0
      hi = stop.map { $0 < 0 ? Swift.max($0 + n, 0) : Swift.min($0, n) } ?? n
    } else {
      lo = start.map { $0 < 0 ? Swift.max($0 + n, -1) : Swift.min($0, n - 1) } ?? (n - 1)
      hi = stop.map { $0 < 0 ? Swift.max($0 + n, -1) : Swift.min($0, n - 1) } ?? -1
    }
    var out: [Int] = []
    var i = lo
    while step > 0 ? i < hi : i > hi {
      out.append(i)
      i += step
    }
    return out
  }

  /// `x[rows, cols]` of a row-major matrix with `cols` columns, for index lists.
  func gather(_ x: [Double], cols: Int, _ rows: [Int], _ cs: [Int]) -> [Double] {
    rows.flatMap { r in cs.map { x[r * cols + $0] } }
  }

  let values = (0..<20).map { Double($0) * 1.5 - 7 }

  func testSubscriptSlices() throws {
    for dtype: DType in [.float32, .float64, .int32] {
      let v = dtype == .int32 ? values.map { $0.rounded(.towardZero) } : values
      let x = input("x", dtype, [4, 5])
      let all5 = Array(0..<5)
      let all4 = Array(0..<4)
      let cases: [(Var, [Int], [Double])] = [
        (x[1..<3], [2, 5], gather(v, cols: 5, pyIndices(4, 1, 3), all5)),
        (x[SliceRange.all, 0], [4], gather(v, cols: 5, all4, [0])),
        (x[-1], [5], gather(v, cols: 5, [3], all5)),
        (x[(-2)...], [2, 5], gather(v, cols: 5, pyIndices(4, -2, nil), all5)),
        (x[..<(-1)], [3, 5], gather(v, cols: 5, pyIndices(4, nil, -1), all5)),
        (x[...1], [2, 5], gather(v, cols: 5, [0, 1], all5)),
        (x[1...2, 2...], [2, 3], gather(v, cols: 5, [1, 2], [2, 3, 4])),
        (x[(-3)...(-1)], [3, 5], gather(v, cols: 5, [1, 2, 3], all5)),
        (x[SliceRange(step: 2)], [2, 5], gather(v, cols: 5, pyIndices(4, nil, nil, 2), all5)),
        (x[SliceRange(step: -1)], [4, 5], gather(v, cols: 5, [3, 2, 1, 0], all5)),
        (x[SliceRange(start: 3, stop: 0, step: -2)], [2, 5], gather(v, cols: 5, pyIndices(4, 3, 0, -2), all5)),
        (
          x[SliceRange.all, SliceRange(start: -1, stop: -4, step: -1)], [4, 3],
          gather(v, cols: 5, all4, pyIndices(5, -1, -4, -1))
        ),
        (x[SliceRange.all, SliceRange(start: 1, stop: nil, step: 2)], [4, 2], gather(v, cols: 5, all4, [1, 3])),
        (x[2, SliceRange(step: -2)], [3], gather(v, cols: 5, [2], [4, 2, 0])),
        (x[1, -2], [], [v[1 * 5 + 3]]),
        (x[-1, SliceRange(start: 10, stop: -10, step: -3)], [2], gather(v, cols: 5, [3], pyIndices(5, 10, -10, -3))),
        (x[2..<2], [0, 5], []),
        (slice(x, [.index(0), SliceRange(start: 1, stop: 4)]), [3], gather(v, cols: 5, [0], [1, 2, 3])),
      ]
      let outs = try evaluate(cases.map(\.0), [x], [tensor([4, 5], v, dtype)])
      for (k, (out, c)) in zip(outs, cases).enumerated() {
        assertTensor(out, dtype, c.1, c.2, "case \(k) \(dtype)")
      }
      XCTAssertTrue(x[SliceRange.all] === x)
    }
  }

  func testSlicesOfSymbolicDims() throws {
    let x = input("x", .float64, ["T", 3])
    let f = try compile(inputs: [x], outputs: [x[1...], x[-1], x[SliceRange(step: -1), 0]])
    XCTAssertEqual(x[-1].shape, [3])
    for t in [2, 4] {
      let v = (0..<(3 * t)).map(Double.init)
      let outs = try f(tensor([t, 3], v))
      assertTensor(outs[0], .float64, [t - 1, 3], Array(v[3...]))
      assertTensor(outs[1], .float64, [3], Array(v[(3 * t - 3)...]))
      assertTensor(outs[2], .float64, [t], (0..<t).reversed().map { v[$0 * 3] })
    }
    // An index past the end is found at run time, with the axis and size in the message.
    assertThrows(["index -3", "out of range", "axis 0", "size 2"]) {
      try compile(inputs: [x], outputs: [x[-3]])(tensor([2, 3], [0, 1, 2, 3, 4, 5]))
    }
    _ = assertThrows(["index 5", "out of range"]) {
      try compile(inputs: [x], outputs: [x[5]])(tensor([2, 3], [0, 1, 2, 3, 4, 5]))
    }
    // With a fixed dim, the graph itself fails.
    let y = input("y", .float64, [3, 3])
    XCTAssertTrue(y[3].failure?.description.contains("out of range") ?? false)
  }

  func testSetSliceAndIncSlice() throws {
    let base = (0..<12).map(Double.init)
    for dtype: DType in [.float32, .float64, .int32] {
      let x = input("x", dtype, [3, 4])
      let y = input("y", dtype, [2, 4])
      let r = input("r", dtype, [4])
      let s = input("s", dtype, [])
      let yv = (0..<8).map { Double($0) * 10 + 100 }
      let rv = [-1.0, -2, -3, -4]
      let outs = try evaluate(
        [
          setSlice(x, [SliceRange(start: 1)], y),
          incSlice(x, [SliceRange(start: 1)], y),
          setSlice(x, [.index(-1)], r),
          incSlice(x, [SliceRange.all, SliceRange(start: nil, stop: nil, step: -2)], s),
          setSlice(x, [SliceRange(start: 0, stop: 2), .index(2)], s),
          incSlice(x, [SliceRange(step: 2)], r),
        ], [x, y, r, s],
        [
          tensor([3, 4], base, dtype), tensor([2, 4], yv, dtype), tensor([4], rv, dtype), tensor([], [0.5 * 4], dtype),
        ])

      var e0 = base
      var e1 = base
      for i in 0..<8 {
        e0[4 + i] = yv[i]
        e1[4 + i] += yv[i]
      }
      var e2 = base
      for j in 0..<4 { e2[8 + j] = rv[j] }
      var e3 = base
      for i in 0..<3 { for j in pyIndices(4, nil, nil, -2) { e3[i * 4 + j] += 2 } }
      var e4 = base
      for i in 0..<2 { e4[i * 4 + 2] = 2 }
      var e5 = base
      for i in [0, 2] { for j in 0..<4 { e5[i * 4 + j] += rv[j] } }
      for (k, e) in [e0, e1, e2, e3, e4, e5].enumerated() {
        assertTensor(outs[k], dtype, [3, 4], e, "case \(k) \(dtype)")
      }
    }
    let x = input("x", .float64, [3, 4])
    XCTAssertNotNil(setSlice(x, [SliceRange(start: 1)], input("bad", .float64, [3, 4])).failure)
    XCTAssertNotNil(setSlice(x, [.index(0)], input("bad", .float32, [4])).failure)
  }

  func testTake() throws {
    let xv = (0..<12).map { Double($0) * 2 + 1 }
    for dtype: DType in [.float32, .float64, .int32] {
      let x = input("x", dtype, [4, 3])
      let i1 = input("i1", .int32, [3])
      let i2 = input("i2", .int32, [2, 2])
      let outs = try evaluate(
        [take(x, i1), take(x, i1, axis: 1), take(x, i2)], [x, i1, i2],
        [tensor([4, 3], xv, dtype), Tensor([Int32(2), -1, 0]), Tensor(shape: [2, 2], [Int32(1), 1, -4, 2])])
      // Negative indices count from the end: -1 is the last, -4 the first of 4.
      assertTensor(outs[0], dtype, [3, 3], gather(xv, cols: 3, [2, 3, 0], [0, 1, 2]))
      assertTensor(outs[1], dtype, [4, 3], gather(xv, cols: 3, [0, 1, 2, 3], [2, 2, 0]))
      assertTensor(outs[2], dtype, [2, 2, 3], gather(xv, cols: 3, [1, 1, 0, 2], [0, 1, 2]))
    }
    let x = input("x", .float64, [4, 3])
    let i2 = input("i2", .int32, [2, 2])
    // Axis -1 (= 1) with 2-D indices: out[r, a, b] = x[r, i2[a, b]].
    let f = try compile(inputs: [x, i2], outputs: [take(x, i2, axis: -1)])
    let out = try f(tensor([4, 3], xv), Tensor(shape: [2, 2], [Int32(2), -3, 0, -1]))[0]
    let cols = [2, 0, 0, 2]
    assertTensor(out, .float64, [4, 2, 2], (0..<4).flatMap { r in cols.map { xv[r * 3 + $0] } })
    assertThrows(["index -4", "out of range", "axis 1", "size 3"]) {
      try f(tensor([4, 3], xv), Tensor(shape: [2, 2], [Int32(1), 1, -4, 2]))
    }
    assertThrows(["index 4", "out of range"]) {
      try f(tensor([4, 3], xv), Tensor(shape: [2, 2], [Int32(4), 1, 0, 2]))
    }
    XCTAssertNotNil(take(x, input("fi", .float32, [2])).failure)
  }

  func testStopGradient() throws {
    let x = input("x", .float64, [3])
    let y = (stopGradient(x) * x).sum()
    let g = try grad(y, wrt: x)
    let outs = try evaluate([stopGradient(x), y, g], [x], [tensor([3], [1, -2, 3])])
    assertTensor(outs[0], .float64, [3], [1, -2, 3])
    assertTensor(outs[1], .float64, [], [14])
    // d/dx of c * x with c = x held constant is c, not 2x.
    assertTensor(outs[2], .float64, [3], [1, -2, 3])
  }
}
