import Foundation
import XCTest

@testable import Codegen

/// float32 exp, tanh, sigmoid and log (Runtime's FastMath, emitted as sk_expf/sk_tanhf/sk_sigmoidf/sk_logf):
/// accuracy against libm in double, edge cases, and the same bits on both backends.
final class FastMathTests: XCTestCase {
  /// Distance in units in the last place between two floats (0 when equal).
  func ulps(_ a: Float, _ b: Float) -> Int {
    if a == b { return 0 }
    func key(_ f: Float) -> Int64 {
      let u = Int64(f.bitPattern)
      return u < 0x8000_0000 ? u : 0x8000_0000 - u
    }
    return Int(Swift.abs(key(a) - key(b)))
  }

  func sweep(_ lo: Float, _ hi: Float, _ n: Int = 200_001) -> [Float] {
    (0..<n).map { lo + (hi - lo) * Float($0) / Float(n - 1) }
  }

  func maxError(_ xs: [Float], _ f: (Float) -> Float, _ ref: (Double) -> Double) -> (ulps: Int, relative: Double) {
    var worst = (0, 0.0)
    for x in xs {
      let want = Float(ref(Double(x)))
      let got = f(x)
      let rel = want == 0 ? Double(Swift.abs(got)) : Double(Swift.abs(got - want)) / Double(Swift.abs(want))
      worst = (Swift.max(worst.0, ulps(got, want)), Swift.max(worst.1, rel))
    }
    return worst
  }

  func testAccuracyAgainstLibm() {
    let e = maxError(sweep(-87, 88), FastMath.exp, Foundation.exp)
    let t = maxError(sweep(-10, 10), FastMath.tanh, Foundation.tanh)
    let s = maxError(sweep(-30, 30), FastMath.sigmoid, { 1 / (1 + Foundation.exp(-$0)) })
    print(
      "FastMath max error: exp \(e.ulps) ulp (rel \(e.relative)), tanh \(t.ulps) ulp (rel \(t.relative)), sigmoid \(s.ulps) ulp (rel \(s.relative))"
    )
    XCTAssertLessThanOrEqual(e.ulps, 2)
    XCTAssertLessThanOrEqual(t.ulps, 4)
    XCTAssertLessThanOrEqual(s.ulps, 4)
  }

  /// log over every 97th positive float (normals, subnormals, the largest) against libm in double.
  func testLogAccuracyAgainstLibm() {
    var worst = 0
    var u: UInt32 = 1
    while u < 0x7f80_0000 {
      let x = Float(bitPattern: u)
      worst = Swift.max(worst, ulps(FastMath.log(x), Float(Foundation.log(Double(x)))))
      u += 97
    }
    print("FastMath max error: log \(worst) ulp over the positive floats")
    XCTAssertLessThanOrEqual(worst, 1)
  }

  func testEdgeCases() {
    XCTAssertEqual(FastMath.exp(0), 1)
    XCTAssertEqual(FastMath.exp(100), .infinity)
    XCTAssertEqual(FastMath.exp(-200), 0)
    XCTAssertEqual(FastMath.exp(.infinity), .infinity)
    XCTAssertEqual(FastMath.exp(-.infinity), 0)
    XCTAssertTrue(FastMath.exp(.nan).isNaN)
    XCTAssertGreaterThan(FastMath.exp(-100), 0, "subnormal results are kept")
    XCTAssertEqual(FastMath.tanh(0), 0)
    XCTAssertEqual(FastMath.tanh(50), 1)
    XCTAssertEqual(FastMath.tanh(-50), -1)
    XCTAssertTrue(FastMath.tanh(.nan).isNaN)
    XCTAssertEqual(FastMath.tanh(1e-30), 1e-30)
    XCTAssertEqual(FastMath.sigmoid(0), 0.5)
    XCTAssertEqual(FastMath.sigmoid(200), 1)
    XCTAssertEqual(FastMath.sigmoid(-200), 0)
    XCTAssertEqual(FastMath.log(1), 0)
    XCTAssertEqual(FastMath.log(0), -.infinity)
    XCTAssertEqual(FastMath.log(.infinity), .infinity)
    XCTAssertTrue(FastMath.log(-1).isNaN)
    XCTAssertTrue(FastMath.log(.nan).isNaN)
    XCTAssertEqual(
      FastMath.log(Float.leastNonzeroMagnitude), Float(Foundation.log(Double(Float.leastNonzeroMagnitude))))
  }

  /// The generated C computes the same bits as the interpreter.
  func testNativeAgreesBitForBit() throws {
    let x = input("x", .float32, ["N"])
    let g = try FunctionGraph(inputs: [x], outputs: [exp(x), tanh(x), sigmoid(x), log(x)])
    let xs = Tensor(sweep(-110, 110, 50_001) + [.nan, .infinity, -.infinity, 0, -0.0, 1e-40, 3e38, 1e-8])
    let native = try NativeProgram(graph: g).run(g, arguments: [xs])
    let reference = try Interpreter.run(g, arguments: [xs])
    for (k, (a, b)) in zip(native, reference).enumerated() {
      let bad = zip(a.array(Float.self), b.array(Float.self)).first {
        $0.bitPattern != $1.bitPattern && !($0.isNaN && $1.isNaN)
      }
      XCTAssertNil(bad, "output \(k): \(String(describing: bad))")
    }
  }
}
