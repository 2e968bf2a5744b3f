import Codegen
import XCTest

final class SmokeTests: XCTestCase {
  func testAddBroadcastAndGrad() throws {
    let x = input("x", .float64, ["B", 3])
    let b = shared(Tensor(shape: [3], [1.0, 2.0, 3.0]), name: "b")
    let y = tanh(x + b).sum()
    let g = try grad(y, wrt: [x, b])
    let f = try compile(inputs: [x], outputs: [y] + g)
    let out = try f(Tensor(shape: [2, 3], [0.0, 0, 0, 1, 1, 1]))
    let expected = [1.0, 2, 3, 2, 3, 4].map { Foundation.tanh($0) }.reduce(0, +)
    XCTAssertEqual(out[0].scalarValue, expected, accuracy: 1e-12)
    // d/dx tanh(x + b) = 1 - tanh²(x + b); b's gradient sums it over the batch.
    let dx = [1.0, 2, 3, 2, 3, 4].map { 1 - Foundation.tanh($0) * Foundation.tanh($0) }
    XCTAssertEqual(out[1].shape, [2, 3])
    for (a, e) in zip(out[1].doubles, dx) { XCTAssertEqual(a, e, accuracy: 1e-12) }
    XCTAssertEqual(out[2].shape, [3])
    for (k, a) in out[2].doubles.enumerated() { XCTAssertEqual(a, dx[k] + dx[k + 3], accuracy: 1e-12) }
    XCTAssertTrue(debugprint(y).contains("tanh"), debugprint(y))
    try checkGradient(at: [Tensor(shape: [2, 3], [0.1, 0.2, -0.3, 0.4, 0.5, 0.6])]) { v in
      softmax(v[0]) * logSoftmax(v[0] * 2)
    }
  }
}

final class PiecewiseConstantGradientTests: XCTestCase {
  /// sign and floor are connected with a zero gradient (as Theano), not "does not depend on".
  func testSignAndFloorHaveZeroGradients() throws {
    let x = input("x", .float64, [3])
    let g = try grad(sum(sign(x) + floor(x)), wrt: x)
    let out = try compile(inputs: [x], outputs: [g])(Tensor([0.5, -1.5, 2.0]))
    XCTAssertEqual(out[0].doubles, [0, 0, 0])
  }
}
