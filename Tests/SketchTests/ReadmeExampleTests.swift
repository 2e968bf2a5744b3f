import Codegen
import XCTest

/// The examples of README.md, verbatim, so that the README never shows code that does not run.
final class ReadmeExampleTests: XCTestCase {
  func testLogisticRegressionExample() throws {
    // --- README: define, compile, train, print ---
    let x = input("x", .float32, ["N", 2])
    let y = input("y", .float32, ["N"])
    let w = shared(Tensor.zeros(.float32, [2, 1]), name: "w")
    let b = shared(Tensor.zeros(.float32, [1]), name: "b")
    let logit = reshape(matmul(x, w) + b, [-1])
    let cost = mean(softplus(logit) - y * logit)  // binary cross-entropy on the logit
    let g = try grad(cost, wrt: [w, b])
    let adam = try stepUpdates(.adam(learningRate: 0.1), parameters: [w, b], gradients: g)
    let train = try compile(inputs: [x, y], outputs: [cost], updates: adam.updates)

    let key = RandomKey(seed: 7)
    let xs = Random.normal(key: key, shape: [200, 2])
    let ys = Tensor(shape: [200], xs.array(Float.self).chunks(2).map { $0.first! + 2 * $0.last! > 0 ? Float(1) : 0 })
    var first = 0.0
    var last = 0.0
    for step in 0..<300 {
      last = try train(xs, ys)[0].scalarValue
      if step == 0 { first = last }
    }
    print(debugprint(cost))
    // --- end ---
    XCTAssertEqual(first, Foundation.log(2), accuracy: 1e-6)  // w = b = 0 predicts 1/2 everywhere
    XCTAssertLessThan(last, 0.15)
    let wv = w.sharedVariable!.value.array(Float.self)
    XCTAssertGreaterThan(wv[1] / wv[0], 1.5)  // the rule is x0 + 2 x1 > 0
  }

  func testLSTMScanExample() throws {
    // --- README: scan ---
    let D = 4
    let xs = input("xs", .float32, ["T", "B", 3])
    let W = shared(Initializer.glorotUniform([3, 4 * D], key: RandomKey(seed: 1)), name: "W")
    let U = shared(Initializer.orthogonal([D, 4 * D], key: RandomKey(seed: 2)), name: "U")
    let h0 = broadcast(constant(0, .float32), to: [.dim(xs, 1), D])
    let r = scan(sequences: ["x": xs], carries: ["h": h0, "c": h0]) { s in
      let g = matmul(s["x"], W) + matmul(s["h"], U)
      let i = sigmoid(g[.all, 0..<D])
      let f = sigmoid(g[.all, D..<(2 * D)])
      let u = tanh(g[.all, (2 * D)..<(3 * D)])
      let o = sigmoid(g[.all, (3 * D)...])
      let c = f * s["c"] + i * u
      let h = o * tanh(c)
      return ScanStepResult(carries: ["h": h, "c": c], outputs: ["h": h])
    }
    let cost = sum(r["h"] * r["h"])
    let gW = try grad(cost, wrt: W)  // backpropagation through time
    let f = try compile(inputs: [xs], outputs: [r["h"], r.final["c"], gW])
    let out = try f(Random.normal(key: RandomKey(seed: 3), shape: [5, 2, 3]))
    // --- end ---
    XCTAssertEqual(out[0].shape, [5, 2, D])
    XCTAssertEqual(out[1].shape, [2, D])
    XCTAssertEqual(out[2].shape, [3, 4 * D])
    XCTAssertGreaterThan(out[2].doubles.map { Swift.abs($0) }.max()!, 0)
  }
}

extension Array {
  fileprivate func chunks(_ n: Int) -> [ArraySlice<Element>] {
    stride(from: 0, to: count, by: n).map { self[$0..<Swift.min($0 + n, count)] }
  }
}
