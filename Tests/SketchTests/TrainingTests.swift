import Codegen
import Foundation
import TestSupport
import XCTest

/// Compiled functions with updates: the order of outputs and updates, and a logistic regression that
/// learns a noisy linear rule.
final class TrainingTests: XCTestCase {
  func testUpdatesAreAppliedAfterAllOutputs() throws {
    let s = shared(tensor([2], [1, 2]), name: "s")
    let x = input("x", .float64, [2])
    let f = try compile(inputs: [x], outputs: [s, s * x, (s + x).sum()], updates: [(s, s + x)])
    let o1 = try f(tensor([2], [10, 20]))
    // Every output reads the value from before the call.
    assertTensor(o1[0], .float64, [2], [1, 2])
    assertTensor(o1[1], .float64, [2], [10, 40])
    assertTensor(o1[2], .float64, [], [33])
    assertTensor(s.sharedVariable!.value, .float64, [2], [11, 22])
    let o2 = try f(tensor([2], [1, 1]))
    assertTensor(o2[0], .float64, [2], [11, 22])
    assertTensor(s.sharedVariable!.value, .float64, [2], [12, 23])

    // Updates are simultaneous: a swap through two updates reads both old values.
    let a = shared(tensor([], [1]), name: "a")
    let b = shared(tensor([], [2]), name: "b")
    let swap = try compile(inputs: [], outputs: [a - b], updates: [(a, b), (b, a)])
    assertTensor(try swap()[0], .float64, [], [-1])
    XCTAssertEqual(a.sharedVariable!.value.scalarValue, 2)
    XCTAssertEqual(b.sharedVariable!.value.scalarValue, 1)
    assertTensor(try swap()[0], .float64, [], [1])

    // A function that only reads sees the updated value; the same SharedVariable in another graph too.
    let read = try compile(inputs: [], outputs: [shared(s.sharedVariable!) * 1])
    assertTensor(try read()[0], .float64, [2], [12, 23])
    // Setting a value of the wrong type is refused with the variable's name.
    assertThrows(["'s'", "f64[2]", "f32"]) { try s.sharedVariable!.set(tensor([2], [0, 0], .float32)) }
  }

  func testLogisticRegressionLearnsANoisyLinearRule() throws {
    // Data from the library's RNG: 400 points x ~ N(0, I) in 2-D; label = [2 x0 - 3 x1 + 0.5 > 0],
    // flipped with probability 0.05.
    let n = 400
    let key = randomKey(seed: 2024)
    let data = try evaluate([
      randomNormal(key, shape: [.n(n), 2], dtype: .float64),
      randomUniform(foldIn(key, 1), shape: [.n(n)], dtype: .float64),
    ])
    let xs = data[0].doubles
    let flip = data[1].doubles.map { $0 < 0.05 }
    let labels = (0..<n).map { i -> Double in
      let clean = 2 * xs[2 * i] - 3 * xs[2 * i + 1] + 0.5 > 0
      return clean != flip[i] ? 1 : 0
    }
    let flipped = flip.filter { $0 }.count
    XCTAssertGreaterThan(flipped, 5)
    XCTAssertLessThan(flipped, 40)

    let W = shared(Tensor.zeros(.float64, [2, 1]), name: "W")
    let b = shared(Tensor.zeros(.float64, []), name: "b")
    let x = input("x", .float64, ["N", 2])
    let y = input("y", .float64, ["N"])
    let logits = matmul(x, W)[SliceRange.all, 0] + b
    // Mean binary cross-entropy with logits: -y log σ(z) - (1-y) log(1-σ(z)) = softplus(z) - y z.
    let cost = mean(softplus(logits) - y * logits)
    let g = try grad(cost, wrt: [W, b])
    let lr = 0.5
    let train = try compile(
      inputs: [x, y], outputs: [cost, g[0], g[1]], updates: [(W, W - lr * g[0]), (b, b - lr * g[1])])
    let xt = tensor([n, 2], xs)
    let yt = tensor([n], labels)

    // One step checked by hand: at W = 0, b = 0 every σ(z) is 1/2, the cost is log 2, and
    // gW = mean((σ - y) x), gb = mean(σ - y).
    let first = try train(xt, yt)
    XCTAssertEqual(first[0].scalarValue, Foundation.log(2.0), accuracy: 1e-14)
    let gW = (0..<2).map { j in (0..<n).map { (0.5 - labels[$0]) * xs[2 * $0 + j] }.reduce(0, +) / Double(n) }
    let gb = (0..<n).map { 0.5 - labels[$0] }.reduce(0, +) / Double(n)
    assertTensor(first[1], .float64, [2, 1], gW, tol: 1e-12, atol: 1e-15)
    assertTensor(first[2], .float64, [], [gb], tol: 1e-12, atol: 1e-15)
    assertTensor(W.sharedVariable!.value, .float64, [2, 1], gW.map { -lr * $0 }, tol: 1e-12, atol: 1e-15)
    assertTensor(b.sharedVariable!.value, .float64, [], [-lr * gb], tol: 1e-12, atol: 1e-15)

    var costs = [first[0].scalarValue]
    for _ in 0..<299 { costs.append(try train(xt, yt)[0].scalarValue) }
    XCTAssertLessThan(costs.last!, costs.first! - 0.3, "cost went from \(costs.first!) to \(costs.last!)")
    XCTAssertLessThan(costs.last!, costs[costs.count / 2], "the cost keeps decreasing")

    // Accuracy of the learned rule on the training data, computed here: at least 90% (the label noise
    // alone costs about 5%).
    let w = W.sharedVariable!.value.doubles
    let bias = b.sharedVariable!.value.scalarValue
    let correct = (0..<n).filter { i in (w[0] * xs[2 * i] + w[1] * xs[2 * i + 1] + bias > 0) == (labels[i] == 1) }.count
    let accuracy = Double(correct) / Double(n)
    XCTAssertGreaterThanOrEqual(accuracy, 0.9, "accuracy \(accuracy), W \(w), b \(bias)")
    // The direction of the learned rule is close to the true one (2, -3).
    let cosine = (2 * w[0] - 3 * w[1]) / (13.0.squareRoot() * (w[0] * w[0] + w[1] * w[1]).squareRoot())
    XCTAssertGreaterThan(cosine, 0.95, "W \(w)")

    // The same model compiled for prediction reads the trained parameters.
    let predict = try compile(inputs: [x], outputs: [sigmoid(logits) > 0.5])
    let pred = try predict(xt)[0].array(Bool.self)
    XCTAssertEqual(pred.enumerated().filter { $0.element == (labels[$0.offset] == 1) }.count, correct)
  }
}
