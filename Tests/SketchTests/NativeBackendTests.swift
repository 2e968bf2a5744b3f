import Foundation
import TestSupport
import XCTest

@testable import Codegen

/// The native backend: the compile cache, the fallback, and agreement with the interpreter.
final class NativeBackendTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-cc-\(UUID().uuidString)")
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func smallGraph(_ k: Double) throws -> (FunctionGraph, [Var]) {
    let x = input("x", .float32, ["N", 3])
    let y = tanh(x * k) + sum(x, axes: [1], keepDims: true)
    return (try FunctionGraph(inputs: [x], outputs: [y]), [x, y])
  }

  func testSecondCompileRunsNoCompiler() throws {
    let cc = CCompiler(cacheDirectory: dir)
    let (g, _) = try smallGraph(1.5)
    let first = try NativeProgram(graph: g, compiler: cc)
    XCTAssertFalse(first.cached)
    let second = try NativeProgram(graph: g, compiler: cc)
    XCTAssertTrue(second.cached)
    XCTAssertEqual(first.libraryPath, second.libraryPath)
    let x = Tensor(shape: [2, 3], [Float(0.1), 0.2, 0.3, -1, 0, 1])
    XCTAssertEqual(try second.run(g, arguments: [x]), try Interpreter.run(g, arguments: [x]))
  }

  func testConcurrentCompilesOfOneKernelAreSafe() throws {
    let cc = CCompiler(cacheDirectory: dir)
    let (g, _) = try smallGraph(2.5)
    final class Box: @unchecked Sendable {
      private var values: [String?] = [nil, nil]
      private let lock = NSLock()
      subscript(i: Int) -> String? {
        get { lock.withLock { values[i] } }
        set { lock.withLock { values[i] = newValue } }
      }
    }
    let box = Box()
    let d: URL = dir
    DispatchQueue.concurrentPerform(iterations: 2) { i in
      box[i] = (try? NativeProgram(graph: g, compiler: CCompiler(cacheDirectory: d)))?.libraryPath
    }
    XCTAssertNotNil(box[0])
    XCTAssertEqual(box[0], box[1])
    // No temporary files are left behind, and the entry loads.
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    XCTAssertFalse(files.contains { $0.contains(".tmp-") }, "\(files)")
    XCTAssertTrue(try NativeProgram(graph: g, compiler: cc).cached)
  }

  func testCorruptEntryIsRebuilt() throws {
    let cc = CCompiler(cacheDirectory: dir)
    let (g, _) = try smallGraph(3.5)
    let path = try NativeProgram(graph: g, compiler: cc).libraryPath
    try Data("truncated garbage".utf8).write(to: URL(fileURLWithPath: path))
    let rebuilt = try NativeProgram(graph: g, compiler: cc)
    XCTAssertFalse(rebuilt.cached)
    let x = Tensor(shape: [1, 3], [Float(1), 2, 3])
    XCTAssertEqual(try rebuilt.run(g, arguments: [x]), try Interpreter.run(g, arguments: [x]))
  }

  func testMissingCompilerFallsBackWithAWarning() throws {
    let x = input("x", .float32, [2])
    let f = try compile(inputs: [x], outputs: [exp(x)], mode: .native)
    f.native.compiler = CCompiler(executable: "/nonexistent/cc", cacheDirectory: dir)
    // `make test`'s second run sets SKETCH_BACKEND=native: this test sets the variable itself.
    let saved = ProcessInfo.processInfo.environment["SKETCH_BACKEND"]
    defer { if let saved { setenv("SKETCH_BACKEND", saved, 1) } else { unsetenv("SKETCH_BACKEND") } }
    setenv("SKETCH_BACKEND", "native", 1)
    XCTAssertThrowsError(try f(Tensor([Float(0), 1]))) {
      XCTAssertTrue("\($0)".contains("cannot run the C compiler '/nonexistent/cc'"), "\($0)")
    }
    unsetenv("SKETCH_BACKEND")
    let g = try compile(inputs: [x], outputs: [exp(x)], mode: .native)
    g.native.compiler = CCompiler(executable: "/nonexistent/cc", cacheDirectory: dir)
    let out = try g(Tensor([Float(0), 1]))
    XCTAssertEqual(out[0].array(Float.self), [1, Foundation.exp(Float(1))])
    XCTAssertTrue(
      NativeSlot.warned.contains { $0.contains("cannot run the C compiler '/nonexistent/cc'") }, "\(NativeSlot.warned)")
    guard case .fallback(let why) = g.backend else { return XCTFail("\(g.backend)") }
    XCTAssertTrue(why.contains("cannot run the C compiler '/nonexistent/cc'"), why)
  }

  /// Failures found by generated C on values are reported from its code and the failing node (the
  /// interpreter's message and location; no interpreter run), shape errors by the shared shape rule.
  func testRunTimeFailuresAreNamedByTheGeneratedCode() throws {
    let x = input("x", .float32, [5, 2])
    let i = input("i", .int32, [3])
    let p = input("p", .float32, [2, 4])
    let k = input("k", .int32, [2])
    let f = try compile(inputs: [x, i, p, k], outputs: [take(x, i, axis: 0), categorical(k, p)], mode: .native)
    XCTAssertEqual(f.backend, .native)
    let xs = Tensor(shape: [5, 2], (0..<10).map { Float($0) })
    let good = try f(
      xs, Tensor(shape: [3], [4, -1, 0] as [Int32]), Tensor(shape: [2, 4], [Float](repeating: 1, count: 8)),
      RandomKey(seed: 1).tensor)
    XCTAssertEqual(good[0].array(Float.self), [8, 9, 8, 9, 0, 1])
    let here = "SketchTests/NativeBackendTests.swift:"
    assertThrows(["take", "index 7 is out of range for axis 0 of size 5", here]) {
      try f(
        xs, Tensor(shape: [3], [0, 7, 1] as [Int32]), Tensor(shape: [2, 4], [Float](repeating: 1, count: 8)),
        RandomKey(seed: 1).tensor)
    }
    assertThrows(["categorical", "nonnegative", "-2.0", here]) {
      try f(
        xs, Tensor(shape: [3], [0, 1, 1] as [Int32]), Tensor(shape: [2, 4], [1, 1, -2, 1, 1, 1, 1, 1] as [Float]),
        RandomKey(seed: 1).tensor)
    }
  }

  /// Names go into comments of the generated C: one that would close a comment or continue a line
  /// compiles all the same.
  func testNamesThatLookLikeCEndOfCommentCompile() throws {
    let w = shared(Tensor([1.0, 2.0]), name: "w*/ #error \\")
    let f = try compile(inputs: [], outputs: [w * 3], mode: .native)
    XCTAssertEqual(f.backend, .native)
    XCTAssertEqual(try f()[0].doubles, [3, 6])
  }

  func testCacheWritableByOthersIsRefused() throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    chmod(dir.path, 0o777)
    XCTAssertThrowsError(try CCompiler(cacheDirectory: dir).ensureCache()) {
      XCTAssertTrue("\($0)".contains("writable by others"), "\($0)")
    }
  }

  func testGeneratedSourceIsOneEntryPointWithAFunctionPerNode() throws {
    let (g, _) = try smallGraph(4.5)
    let c = try generatedC(for: g)
    XCTAssertTrue(c.contains("int sk_main(void** B, const int64_t* P, sk_parallel_fn par, int64_t threads)"))
    XCTAssertTrue(c.contains("SK_NODE int sk_node_"))
    XCTAssertTrue(c.contains("#define SK_NODE static"), "one unit: node functions are static")
    XCTAssertTrue(c.contains("/* Buffers:"), "the buffer table")
    XCTAssertTrue(c.contains("tanhf("), "the scalar definition of tanh on float32")
    XCTAssertEqual(c, try generatedC(for: g), "the emitter is deterministic (the cache key depends on it)")
  }

  /// A big function is built as several translation units side by side and linked into one library.
  func testSeveralTranslationUnitsGiveTheSameResults() throws {
    let cc = CCompiler(cacheDirectory: dir)
    let x = input("x", .float64, ["N", 3])
    var ys: [Var] = []
    var h = x
    for k in 0..<6 {
      h = tanh(h * Double(k + 1) * 0.3) + sum(h, axes: [1], keepDims: true) * 0.1
      ys.append(exp(h[.all, 0..<2]))
    }
    let g = try FunctionGraph(inputs: [x], outputs: ys)
    let sources = try CEmitter(layout: try NativeLayout(g)).emit(parts: 3)
    XCTAssertEqual(sources.count, 3)
    XCTAssertEqual(sources.filter { $0.contains("int sk_main(") }.count, 1)
    let program = try NativeProgram(graph: g, compiler: cc, parts: 3)
    XCTAssertFalse(program.cached)
    let xv = Random.normal(key: RandomKey(seed: 9), shape: [4, 3], dtype: .float64)
    let got = try program.run(g, arguments: [xv])
    let want = try Interpreter.run(g, arguments: [xv])
    for (a, b) in zip(got, want) {
      for (p, q) in zip(a.doubles, b.doubles) { XCTAssertEqual(p, q, accuracy: 1e-12 * Swift.max(1, Swift.abs(q))) }
    }
    XCTAssertTrue(try NativeProgram(graph: g, compiler: cc, parts: 3).cached)
  }

  func testCompileErrorsNameTheSource() throws {
    let cc = CCompiler(cacheDirectory: dir)
    XCTAssertThrowsError(try cc.library(for: "this is not C;")) { e in
      let text = "\(e)"
      XCTAssertTrue(text.contains("failed"), text)
      XCTAssertTrue(text.contains("generated source: \(self.dir.path)"), text)
    }
  }

  /// LSTM forward and gradient, a sampling scan and the training cost agree on both backends.
  func testRecurrentGraphsAgreeInDebugMode() throws {
    let D = 4
    let xs = input("xs", .float64, ["T", "B", 3])
    let W = shared(
      Random.uniform(key: RandomKey(seed: 1), shape: [3, 4 * D], dtype: .float64, low: -0.5, high: 0.5), name: "W")
    let U = shared(
      Random.uniform(key: RandomKey(seed: 2), shape: [D, 4 * D], dtype: .float64, low: -0.5, high: 0.5), name: "U")
    let h0 = broadcast(constant(0, .float64), to: [.dim(xs, 1), .n(D)])
    let r = scan(sequences: ["x": xs], carries: ["h": h0, "c": h0]) { s in
      let g = matmul(s["x"], W) + matmul(s["h"], U)
      let i = sigmoid(g[.all, 0..<D])
      let f = sigmoid(g[.all, D..<(2 * D)])
      let u = tanh(g[.all, (2 * D)..<(3 * D)])
      let o = sigmoid(g[.all, (3 * D)...])
      let c = f * s["c"] + i * u
      return ScanStepResult(carries: ["h": o * tanh(c), "c": c], outputs: ["h": o * tanh(c)])
    }
    let cost = sum(r["h"] * r["h"])
    let grads = try grad(cost, wrt: [W, U, xs])
    let key = randomKey(seed: 7)
    let walk = scan(steps: 6, carries: ["p": broadcast(constant(0, .float64), to: [.dim(xs, 1), .n(2)])]) { s in
      let p = s["p"] + randomNormal(foldIn(key, s.index), shape: [.dim(xs, 1), 2], dtype: .float64)
      return ScanStepResult(carries: ["p": p], outputs: ["p": p])
    }
    let f = try compile(inputs: [xs], outputs: [cost, walk["p"]] + grads, mode: .debug)
    let a = Random.normal(key: RandomKey(seed: 3), shape: [5, 2, 3], dtype: .float64)
    let out = try f(a)
    XCTAssertEqual(out[1].shape, [6, 2, 2])
    XCTAssertEqual(out.count, 5)
  }
}
