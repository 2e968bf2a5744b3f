import Foundation
import XCTest

@testable import Codegen

/// The native emitter's shortcuts (slices read in place, reshapes without copies, scan outputs
/// written in place, carries trading buffers, the per-node profiler) give the interpreter's values.
final class NativeLoweringTests: XCTestCase {
  /// Carries updated simultaneously: a' = b (another carry's slot, staged), b' = a + b (a buffer of
  /// its own, traded with the slot), with both stacked too: the Fibonacci numbers.
  func testCarriesUpdatedTogether() throws {
    let one = constant(Tensor(shape: [1, 2], [1.0, 1.0]))
    let r = scan(steps: 10, carries: ["a": one, "b": one]) { s in
      let b = s["a"] + s["b"]
      return ScanStepResult(carries: ["a": s["b"], "b": b], outputs: ["a": s["b"], "b": b])
    }
    for mode in [Mode.native, .debug] {
      let f = try compile(inputs: [], outputs: [r.final["a"], r.final["b"], r["a"], r["b"]], mode: mode)
      let c = try generatedC(for: f.optimizedGraph)
      XCTAssertTrue(c.contains("void* stage"), "a' = b is staged")
      XCTAssertTrue(c.contains("+ t * "), "stacked outputs are written in place")
      let out = try f()
      var fib = [1.0, 1.0]
      for _ in 0..<11 { fib.append(fib[fib.count - 1] + fib[fib.count - 2]) }
      XCTAssertEqual(out[0].doubles, [fib[10], fib[10]])
      XCTAssertEqual(out[1].doubles, [fib[11], fib[11]])
      XCTAssertEqual(out[2].doubles, (1...10).flatMap { [fib[$0], fib[$0]] })
      XCTAssertEqual(out[3].doubles, (2...11).flatMap { [fib[$0], fib[$0]] })
    }
  }

  /// Elementwise loops reading slices in place: a stepped slice, an index that drops an axis (a
  /// stride known only at run time), a reversed slice and a slice that broadcasts.
  func testSlicesReadInPlace() throws {
    let x = input("x", .float64, ["N", 6, 5])
    let a = x[.all, SliceRange(start: 0, stop: 6, step: 2), 1]  // [N, 3], inner stride 10
    let b = x[.all, 1, SliceRange(start: 4, stop: nil, step: -2)]  // [N, 3], reversed
    let c = x[.all, 5, 0..<1]  // [N, 1], broadcasts
    let y = exp(a) * b + c
    let g = try FunctionGraph(inputs: [x], outputs: [y])
    XCTAssertTrue(CEmitter(layout: try NativeLayout(g)).views.count == 3, "the three slices are read in place")
    let xv = Random.normal(key: RandomKey(seed: 4), shape: [2, 6, 5], dtype: .float64)
    let v = xv.doubles
    var expected: [Double] = []
    for n in 0..<2 {
      for j in 0..<3 {
        let av = v[n * 30 + (2 * j) * 5 + 1]
        let bv = v[n * 30 + 1 * 5 + (4 - 2 * j)]
        let cv = v[n * 30 + 5 * 5 + 0]
        expected.append(Foundation.exp(av) * bv + cv)
      }
    }
    let native = try compile(inputs: [x], outputs: [y], mode: .native, optimizer: .none)
    let got = try native(xv)[0]
    XCTAssertEqual(got.shape, [2, 3])
    for (p, q) in zip(got.doubles, expected) { XCTAssertEqual(p, q, accuracy: 1e-12 * Swift.max(1, Swift.abs(q))) }
    _ = try compile(inputs: [x], outputs: [y], mode: .debug, optimizer: .none)(xv)
  }

  /// Reshapes point at their input's buffer: as an output, of an input, of a carry, stacked.
  func testReshapesWithoutCopies() throws {
    let x = input("x", .float32, [2, 3])
    let r = scan(steps: 3, carries: ["h": x]) { s in
      let h = s["h"] * 2
      return ScanStepResult(carries: ["h": h], outputs: ["flat": reshape(s["h"], [6])])
    }
    let y = reshape(x, [3, 2])
    let xv = Tensor(shape: [2, 3], [Float(1), 2, 3, 4, 5, 6])
    for mode in [Mode.native, .debug] {
      let f = try compile(inputs: [x], outputs: [y, r["flat"], r.final["h"]], mode: mode)
      let out = try f(xv)
      XCTAssertEqual(out[0], Tensor(shape: [3, 2], [Float(1), 2, 3, 4, 5, 6]))
      XCTAssertEqual(out[1].shape, [3, 6])
      XCTAssertEqual(out[1].doubles, [1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12, 4, 8, 12, 16, 20, 24])
      XCTAssertEqual(out[2].doubles, [8, 16, 24, 32, 40, 48])
    }
  }

  /// `SKETCH_PROFILE=1`: every node's time and calls, scan bodies included.
  func testProfileCountsEveryNodeCall() throws {
    setenv("SKETCH_PROFILE", "1", 1)
    defer { unsetenv("SKETCH_PROFILE") }
    let xs = input("xs", .float32, ["T", 1, 4])
    let r = scan(sequences: ["x": xs], carries: ["h": constant(Tensor.zeros(.float32, [1, 4]))]) { s in
      ScanStepResult(carries: ["h": tanh(s["h"] + s["x"])])
    }
    let f = try compile(inputs: [xs], outputs: [r.final["h"]], mode: .native)
    XCTAssertNil(f.nativeProfile, "nothing runs before the first call")
    _ = try f(Tensor.filled(0.5, dtype: .float32, shape: [7, 1, 4]))
    _ = try f(Tensor.filled(0.5, dtype: .float32, shape: [7, 1, 4]))
    let p = try XCTUnwrap(f.nativeProfile)
    let scanEntry = try XCTUnwrap(p.entries.first { $0.op.hasPrefix("scan") })
    XCTAssertEqual(scanEntry.calls, 2)
    XCTAssertTrue(scanEntry.inclusive)
    let body = p.entries.filter { $0.node.hasPrefix("scan body") }
    XCTAssertFalse(body.isEmpty)
    XCTAssertTrue(body.allSatisfy { $0.calls == 14 }, "\(body.map(\.calls))")
    XCTAssertTrue(p.entries.allSatisfy { $0.seconds >= 0 })
    XCTAssertTrue(p.report().contains("scan"))
  }

  /// Loops and products big enough to be split across the worker threads give the interpreter's
  /// values, also when two functions run at once (the second finds the pool busy and runs alone).
  func testWorkSplitAcrossThreadsAgrees() throws {
    let saved = BLAS.threads
    BLAS.threads = 2
    defer { BLAS.threads = saved }
    let x = input("x", .float32, ["N", 256])
    let w = shared(Random.uniform(key: RandomKey(seed: 5), shape: [256, 384], low: -0.1, high: 0.1), name: "w")
    let h = matmul(x, w)  // 2·N·256·384 flops: split by columns
    let g = sigmoid(h[.all, 0..<128]) * tanh(h[.all, 128..<256]) + exp(-abs(h[.all, 256...]))  // split by rows
    let t = matmul(x, w, transposeA: false, transposeB: false)[.all, 0..<200]
    let y = sum(g, axes: [1]) + sum(t * t, axes: [1])
    let fs = try (0..<2).map { _ in try compile(inputs: [x], outputs: [g, y], mode: .native) }
    let reference = try compile(inputs: [x], outputs: [g, y], mode: .interpreter)
    let xv = Random.normal(key: RandomKey(seed: 6), shape: [96, 256])
    let want = try reference(xv)
    final class Results: @unchecked Sendable {
      var values: [[Tensor]?] = [nil, nil]
      let lock = NSLock()
    }
    let results = Results()
    DispatchQueue.concurrentPerform(iterations: 2) { i in
      let r = try? fs[i](xv)
      results.lock.withLock { results.values[i] = r }
    }
    for got in results.values {
      let got = try XCTUnwrap(got)
      for (a, b) in zip(got, want) {
        XCTAssertEqual(a.shape, b.shape)
        for (p, q) in zip(a.doubles, b.doubles) { XCTAssertEqual(p, q, accuracy: 2e-5 * Swift.max(1, Swift.abs(q))) }
      }
    }
    XCTAssertEqual(BLAS.threads, 2, "OpenBLAS's setting is restored after native code runs")
  }

  /// Products with a contraction of at most 8 (an input projection of pen offsets) are loops that add
  /// the bias in the same pass (float32): plain, with B transposed, with a bias row.
  func testSmallContractionProducts() throws {
    let x = input("x", .float32, ["N", 3])
    let wv = Random.uniform(key: RandomKey(seed: 7), shape: [3, 5], low: -1, high: 1)
    let wtv = Random.uniform(key: RandomKey(seed: 8), shape: [5, 3], low: -1, high: 1)
    let bv = Random.uniform(key: RandomKey(seed: 9), shape: [5], low: -1, high: 1)
    let (w, wt, bias) = (shared(wv, name: "w"), shared(wtv, name: "wt"), shared(bv, name: "b"))
    let ys = [matmul(x, w), matmul(x, w) + bias, matmul(x, wt, transposeB: true) * 2 - bias]
    let xv = Random.normal(key: RandomKey(seed: 10), shape: [4, 3])
    let (xd, wd, wtd, bd) = (xv.doubles, wv.doubles, wtv.doubles, bv.doubles)
    var want: [[Double]] = [[], [], []]
    for i in 0..<4 {
      for j in 0..<5 {
        let p = (0..<3).reduce(0.0) { $0 + xd[i * 3 + $1] * wd[$1 * 5 + j] }
        let q = (0..<3).reduce(0.0) { $0 + xd[i * 3 + $1] * wtd[j * 3 + $1] }
        want[0].append(p)
        want[1].append(p + bd[j])
        want[2].append(q * 2 - bd[j])
      }
    }
    let f = try compile(inputs: [x], outputs: ys, mode: .native)
    let c = try generatedC(for: f.optimizedGraph)
    XCTAssertTrue(c.contains("sk_smallk_"), "the products are loops")
    for (got, w) in zip(try f(xv), want) {
      for (p, q) in zip(got.doubles, w) { XCTAssertEqual(p, q, accuracy: 1e-5 * Swift.max(1, Swift.abs(q))) }
    }
    _ = try compile(inputs: [x], outputs: ys, mode: .debug)(xv)
  }

  /// Loop results whose only use is a concatenation along the last axis are written into it: outside
  /// a scan, and inside one where the concatenation is both a carry and a stacked output.
  func testLoopsWriteIntoConcatenations() throws {
    let x = input("x", .float64, ["N", 3])
    let y = concatenate([exp(x), x * 2, tanh(x) + 1], axis: 1)
    let r = scan(steps: 3, carries: ["h": x]) { s in
      let h = concatenate([s["h"][.all, 0..<1] * 0.5, s["h"][.all, 1...] + 1], axis: 1)
      return ScanStepResult(carries: ["h": h], outputs: ["h": h])
    }
    let g = try FunctionGraph(inputs: [x], outputs: [y, r["h"], r.final["h"]])
    XCTAssertEqual(CEmitter(layout: try NativeLayout(g)).filledConcats.count, 2)
    let xv = Random.normal(key: RandomKey(seed: 11), shape: [2, 3], dtype: .float64)
    let v = xv.doubles
    var want0: [Double] = []
    for i in 0..<2 {
      want0 += (0..<3).map { Foundation.exp(v[i * 3 + $0]) }
      want0 += (0..<3).map { v[i * 3 + $0] * 2 }
      want0 += (0..<3).map { Foundation.tanh(v[i * 3 + $0]) + 1 }
    }
    var h = v
    var want1: [Double] = []
    for _ in 0..<3 {
      var next: [Double] = []
      for i in 0..<2 {
        let row: [Double] = [h[i * 3] * 0.5, h[i * 3 + 1] + 1, h[i * 3 + 2] + 1]
        next += row
      }
      h = next
      want1 += h
    }
    for mode in [Mode.native, .debug] {
      let out = try compile(inputs: [x], outputs: [y, r["h"], r.final["h"]], mode: mode, optimizer: .none)(xv)
      for (p, q) in zip(out[0].doubles, want0) { XCTAssertEqual(p, q, accuracy: 1e-12) }
      XCTAssertEqual(out[1].shape, [3, 2, 3])
      for (p, q) in zip(out[1].doubles, want1) { XCTAssertEqual(p, q, accuracy: 1e-12) }
      for (p, q) in zip(out[2].doubles, h) { XCTAssertEqual(p, q, accuracy: 1e-12) }
    }
  }

  /// The outer graph's intermediates share one arena by liveness: a chain whose links die as the
  /// next is made needs two blocks, not one per link, and a slice read in place keeps its operand alive.
  func testIntermediatesShareAnArena() throws {
    let x = input("x", .float64, [256])
    var h = x
    for k in 0..<8 { h = exp(h * (0.1 * Double(k + 1))) + (k == 3 ? h[0..<256] : h) }
    let g = try FunctionGraph(inputs: [x], outputs: [h])
    let program = try NativeProgram(graph: g)
    let xv = Random.normal(key: RandomKey(seed: 12), shape: [256], dtype: .float64)
    let got = try program.run(g, arguments: [xv])[0]
    let want = try Interpreter.run(g, arguments: [xv])[0]
    for (p, q) in zip(got.doubles, want.doubles) { XCTAssertEqual(p, q, accuracy: 1e-12 * Swift.max(1, Swift.abs(q))) }
    XCTAssertGreaterThan(program.arenaBytes, 0)
    XCTAssertLessThanOrEqual(program.arenaBytes, 3 * 256 * 8, "links that died are reused")
  }
}
