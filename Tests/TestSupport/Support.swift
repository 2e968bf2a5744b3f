import Codegen
import Foundation
import XCTest

// Shared helpers for the test suite: seeded random data, tolerant comparisons, compile-and-call, and
// plain-Swift index arithmetic for computing expected values independently of the interpreter.

// MARK: - Deterministic random numbers

/// SplitMix64: a small seeded generator, so every test draws the same data on every run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// `count` doubles uniform in [lo, hi).
  public mutating func uniform(_ count: Int, _ lo: Double = -1, _ hi: Double = 1) -> [Double] {
    (0..<count).map { _ in Double.random(in: lo..<hi, using: &self) }
  }

  /// A tensor of `shape` with elements uniform in [lo, hi).
  public mutating func tensor(_ shape: [Int], _ lo: Double = -1, _ hi: Double = 1, dtype: DType = .float64) -> Tensor {
    Tensor(shape: shape, dtype: dtype, values: uniform(shape.reduce(1, *), lo, hi))
  }

  /// A tensor whose elements are uniform in [lo, hi) with a random sign: |x| stays away from 0.
  public mutating func awayFromZero(_ shape: [Int], _ lo: Double = 0.3, _ hi: Double = 1.5) -> Tensor {
    let v = uniform(shape.reduce(1, *), lo, hi).map { Bool.random(using: &self) ? $0 : -$0 }
    return Tensor(shape: shape, v)
  }
}

// MARK: - Tensors

/// A tensor of `dtype` holding `values` (row-major) converted.
public func tensor(_ shape: [Int], _ values: [Double], _ dtype: DType = .float64) -> Tensor {
  Tensor(shape: shape, dtype: dtype, values: values)
}

/// `values` rounded to float32 and back (what a float32 input actually holds).
public func roundedToFloat(_ values: [Double]) -> [Double] { values.map { Double(Float($0)) } }

// MARK: - Comparisons

/// Whether `a` and `b` agree: `|a - b| <= tol * max(|a|, |b|) + atol` (NaN matches NaN, inf matches inf).
public func isClose(_ a: Double, _ b: Double, tol: Double, atol: Double) -> Bool {
  if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
  if a.isInfinite || b.isInfinite { return a == b }
  return Swift.abs(a - b) <= tol * Swift.max(Swift.abs(a), Swift.abs(b)) + atol
}

/// Asserts that two arrays have the same length and agree element by element (relative `tol`,
/// absolute floor `atol`, by default `tol / 100`).
public func assertClose(
  _ a: [Double], _ b: [Double], tol: Double, atol: Double? = nil, _ message: @autoclosure () -> String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  guard a.count == b.count else {
    XCTFail("count \(a.count) != \(b.count): \(a.prefix(8)) vs \(b.prefix(8)) \(message())", file: file, line: line)
    return
  }
  let floor = atol ?? tol / 100
  for i in a.indices where !isClose(a[i], b[i], tol: tol, atol: floor) {
    XCTFail("element \(i): \(a[i]) != \(b[i]) (tol \(tol), atol \(floor)) \(message())", file: file, line: line)
    return
  }
}

/// Asserts a tensor's dtype, shape and values.
public func assertTensor(
  _ t: Tensor, _ dtype: DType, _ shape: [Int], _ expected: [Double], tol: Double = 0, atol: Double? = nil,
  _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(t.dtype, dtype, "dtype \(message())", file: file, line: line)
  XCTAssertEqual(t.shape, shape, "shape \(message())", file: file, line: line)
  assertClose(t.doubles, expected, tol: tol, atol: atol ?? (tol == 0 ? 0 : nil), message(), file: file, line: line)
}

/// The relative tolerance used for exact formulas in `dtype`: 1e-5 for float32, 1e-12 for float64.
public func tolerance(_ dtype: DType) -> Double { dtype == .float32 ? 1e-5 : 1e-12 }

/// Asserts that `body` throws an error whose description contains every string of `fragments`;
/// returns the description.
@discardableResult
public func assertThrows<T>(
  _ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) -> String? {
  do {
    _ = try body()
    XCTFail("expected an error containing \(fragments)", file: file, line: line)
    return nil
  } catch {
    let text = "\(error)"
    for f in fragments where !text.contains(f) {
      XCTFail("error does not contain \"\(f)\":\n\(text)", file: file, line: line)
    }
    return text
  }
}

// MARK: - Compile and call

/// Compiles `outputs` as a function of `inputs` and calls it on `args`. (Named `evaluate`, not `run`:
/// inside an XCTestCase `run` means `XCTestCase.run()`.)
public func evaluate(_ outputs: [Var], _ inputs: [Var] = [], _ args: [Tensor] = []) throws -> [Tensor] {
  try compile(inputs: inputs, outputs: outputs).call(args)
}

/// The single output of `output` as a function of `inputs`, called on `args`.
public func evaluate1(_ output: Var, _ inputs: [Var] = [], _ args: [Tensor] = []) throws -> Tensor {
  try evaluate([output], inputs, args)[0]
}

// MARK: - Index arithmetic (independent of the library's kernels)

/// Row-major multi-index of flat position `flat` in `shape`.
public func multiIndex(_ flat: Int, _ shape: [Int]) -> [Int] {
  var idx = [Int](repeating: 0, count: shape.count)
  var r = flat
  for i in stride(from: shape.count - 1, through: 0, by: -1) {
    idx[i] = r % shape[i]
    r /= shape[i]
  }
  return idx
}

/// Row-major flat position of `idx` in `shape`.
public func flatIndex(_ idx: [Int], _ shape: [Int]) -> Int {
  var f = 0
  for (i, n) in zip(idx, shape) { f = f * n + i }
  return f
}

/// Every multi-index of `shape`, row-major.
public func allIndices(_ shape: [Int]) -> [[Int]] {
  (0..<shape.reduce(1, *)).map { multiIndex($0, shape) }
}

/// numpy broadcasting of two concrete shapes: the result shape and, for each result element, the flat
/// positions read in a and in b.
public func broadcastPairs(_ a: [Int], _ b: [Int]) -> (shape: [Int], pairs: [(Int, Int)]) {
  let r = Swift.max(a.count, b.count)
  let pa = [Int](repeating: 1, count: r - a.count) + a
  let pb = [Int](repeating: 1, count: r - b.count) + b
  let out = (0..<r).map { Swift.max(pa[$0], pb[$0]) }
  let pairs = allIndices(out).map { idx -> (Int, Int) in
    let ia = (0..<r).map { pa[$0] == 1 ? 0 : idx[$0] }
    let ib = (0..<r).map { pb[$0] == 1 ? 0 : idx[$0] }
    return (flatIndex(ia, pa), flatIndex(ib, pb))
  }
  return (out, pairs)
}

/// The expected result of an elementwise binary function under broadcasting, computed with loops.
public func broadcastExpected(
  _ a: [Double], _ aShape: [Int], _ b: [Double], _ bShape: [Int], _ f: (Double, Double) -> Double
) -> (shape: [Int], values: [Double]) {
  let (shape, pairs) = broadcastPairs(aShape, bShape)
  return (shape, pairs.map { f(a[$0.0], b[$0.1]) })
}

/// The expected reduction of `x` (shape `shape`) over `axes` with `f` folding from `initial`.
public func reduceExpected(
  _ x: [Double], _ shape: [Int], axes: [Int], keepDims: Bool, initial: Double, _ f: (Double, Double) -> Double
) -> (shape: [Int], values: [Double]) {
  let kept = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
  var acc = [Double](repeating: initial, count: kept.reduce(1, *))
  for (flat, idx) in allIndices(shape).enumerated() {
    let o = flatIndex(idx.enumerated().map { axes.contains($0.offset) ? 0 : $0.element }, kept)
    acc[o] = f(acc[o], x[flat])
  }
  let outShape = keepDims ? kept : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
  return (outShape, acc)
}

/// `A · B` for row-major `m x k` and `k x n` matrices, by the definition.
public func naiveMatmul(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
  var c = [Double](repeating: 0, count: m * n)
  for i in 0..<m {
    for j in 0..<n {
      var s = 0.0
      for p in 0..<k { s += a[i * k + p] * b[p * n + j] }
      c[i * n + j] = s
    }
  }
  return c
}

/// The transpose of a row-major `rows x cols` matrix.
public func transposed(_ a: [Double], rows: Int, cols: Int) -> [Double] {
  var t = [Double](repeating: 0, count: a.count)
  for i in 0..<rows { for j in 0..<cols { t[j * rows + i] = a[i * cols + j] } }
  return t
}
