import Codegen
import Foundation
import TestSupport
import XCTest

@testable import Sketch

/// Stabilisation: costs and their gradients stay finite where the graph as built overflows, and
/// equal the exact values where those are finite (float32 inputs, float64 reference formulas).
final class OptimizerStabilityTests: XCTestCase {
  func run(_ outs: [Var], _ ins: [Var], _ args: [Tensor], optimizer: OptimizerOptions) throws -> [Tensor] {
    try compile(inputs: ins, outputs: outs, mode: .interpreter, optimizer: optimizer).call(args)
  }

  func finite(_ t: Tensor) -> Bool { t.doubles.allSatisfy(\.isFinite) }

  /// Binary cross-entropy of a sigmoid, written naively: computed on the logit after optimization.
  func testSigmoidCrossEntropyAndGradient() throws {
    let x = input("x", .float32, [6])
    let t = input("t", .float32, [6])
    let p = sigmoid(x)
    let cost = -sum(t * log(p) + (1.0 - t) * log(1.0 - p))
    let g = try grad(cost, wrt: x)
    let xs: [Double] = [-200, -90, -1, 2, 90, 200]
    let ts: [Double] = [0, 1, 1, 0, 0, 1]
    let args = [tensor([6], xs, .float32), tensor([6], ts, .float32)]
    let naive = try run([cost, g], [x, t], args, optimizer: .none)
    XCTAssertFalse(finite(naive[0]) && finite(naive[1]), "the graph as built overflows: \(naive)")
    let opt = try run([cost, g], [x, t], args, optimizer: .all)
    // Exact: Σ softplus(x) - t·x, and dcost/dx = σ(x) - t.
    func softplus(_ v: Double) -> Double {
      v > 0 ? v + Foundation.log1p(Foundation.exp(-v)) : Foundation.log1p(Foundation.exp(v))
    }
    let exact = zip(xs, ts).map { softplus($0) - $1 * $0 }.reduce(0, +)
    XCTAssertEqual(opt[0].scalarValue, exact, accuracy: 1e-4 * Swift.abs(exact))
    assertClose(opt[1].doubles, zip(xs, ts).map { 1 / (1 + Foundation.exp(-$0)) - $1 }, tol: 1e-5, atol: 1e-6)
  }

  func testLogSumExpOfLargeValues() throws {
    let x = input("x", .float32, [2, 3])
    let y = log(sum(exp(x), axes: [1]))
    let args = [tensor([2, 3], [1000, 1000, 999, -1000, -1001, -1000], .float32)]
    XCTAssertFalse(finite(try run([y], [x], args, optimizer: .none)[0]))
    let got = try run([y], [x], args, optimizer: .all)[0]
    let e1 = 1000 + Foundation.log(2 + Foundation.exp(-1.0))
    let e2 = -1000 + Foundation.log(2 + Foundation.exp(-1.0))
    assertClose(got.doubles, [e1, e2], tol: 1e-6)
  }

  func testLogSoftmaxAndGradient() throws {
    let x = input("x", .float32, [2, 3])
    let w = constant(tensor([2, 3], [1, 0, 0, 0, 0, 1], .float32))
    let cost = -sum(w * log(softmax(x, axis: 1)))
    let g = try grad(cost, wrt: x)
    let args = [tensor([2, 3], [0, 200, -200, 50, -60, -300], .float32)]
    let naive = try run([cost, g], [x], args, optimizer: .none)
    XCTAssertFalse(finite(naive[0]) && finite(naive[1]), "log of an underflowed softmax is -inf")
    let opt = try run([cost, g], [x], args, optimizer: .all)
    XCTAssertTrue(finite(opt[0]) && finite(opt[1]), "\(opt)")
    XCTAssertEqual(opt[0].scalarValue, 200 + 350, accuracy: 1e-3)
    // d/dx of -log softmax(x)[k] = softmax(x) - onehot(k).
    assertClose(opt[1].doubles, [-1, 1, 0, 1, 0, -1], tol: 1e-5, atol: 1e-5)
  }

  /// The handwriting model's mixture-density cost with extreme readouts: pen logits of ±200 and
  /// mixture-weight logits of ±400 (the exact cost is finite: the pen term is a softplus).
  func testMixtureDensityCostStaysFinite() throws {
    let M = 3
    let mdn = MixtureDensity(components: M, epsilon: 1e-5)
    let y = input("y", .float32, [4, .fixed(6 * M + 1)])
    let target = input("target", .float32, [4, 3])
    let cost = sum(mdn.negativeLogLikelihood(y, target))
    let g = try grad(cost, wrt: y)
    var rng = SeededGenerator(seed: 5)
    var yv = rng.uniform(4 * (6 * M + 1), -0.5, 0.5)
    for r in 0..<4 {
      yv[r * (6 * M + 1) + 6 * M] = [200, -200, 150, -150][r]  // pen logit
      yv[r * (6 * M + 1) + 5 * M] = r % 2 == 0 ? 400 : -400  // a mixture-weight logit
    }
    let tv = [0.1, -0.2, 0, 0.3, 0.1, 1, -0.1, 0, 0, 0.2, 0.2, 1]  // pen 0 where the logit says 1, and back
    let args = [tensor([4, 6 * M + 1], yv, .float32), tensor([4, 3], tv, .float32)]
    let naive = try run([cost, g], [y, target], args, optimizer: .none)
    XCTAssertFalse(finite(naive[0]) && finite(naive[1]), "the cost as built overflows: \(naive[0])")
    let opt = try run([cost, g], [y, target], args, optimizer: .all)
    XCTAssertTrue(finite(opt[0]), "cost \(opt[0])")
    XCTAssertTrue(finite(opt[1]), "gradient \(opt[1])")
    // The same cost at moderate readouts agrees with and without the optimizer.
    let calm = [tensor([4, 6 * M + 1], yv.map { Swift.max(-3, Swift.min(3, $0)) }, .float32), args[1]]
    let a = try run([cost, g], [y, target], calm, optimizer: .none)
    let b = try run([cost, g], [y, target], calm, optimizer: .all)
    assertClose(b[0].doubles, a[0].doubles, tol: 1e-5)
    assertClose(b[1].doubles, a[1].doubles, tol: 1e-4, atol: 1e-5)
  }
}
