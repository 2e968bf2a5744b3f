import Codegen
import Foundation
import PropertyBased
import TestSupport
import Testing

/// Random graphs compute the same outputs optimized and as built.
///
/// Each seed builds a float64 graph of 6-24 random ops over a few inputs: elementwise functions (with
/// their domains respected), broadcasting, reductions, products with bias and scale, transposes and
/// reshapes, the patterns the rewrites look for (x*1, x-x, exp∘log, log∘softmax, log∘sigmoid...),
/// a recurrent loop, and often the gradients of a cost of it all. Tolerance: relative 1e-9 with an
/// absolute floor of 1e-9 (rewrites reassociate sums and products; nothing else may differ).
@Suite struct OptimizerPropertyTests {
  @Test func randomGraphsAgreeOptimizedAndAsBuilt() async {
    await propertyCheck(count: 80, input: Gen.int(in: 0...1_000_000_000)) { seed in
      let (outs, ins, args) = RandomGraph.make(seed: UInt64(seed))
      let g = try FunctionGraph(inputs: ins, outputs: outs)
      let reference = try Interpreter.run(g, arguments: args)
      let (o, _) = try optimize(g, options: OptimizerOptions(verify: true))
      let got = try Interpreter.run(o, arguments: args)
      #expect(got.count == reference.count)
      for (k, (a, b)) in zip(got, reference).enumerated() {
        #expect(a.shape == b.shape, "output \(k)")
        let bad = zip(a.doubles, b.doubles).first { !isClose($0, $1, tol: 1e-9, atol: 1e-9) }
        #expect(bad == nil, "seed \(seed), output \(k): \(bad.map { "\($0.0) vs \($0.1)" } ?? "")")
      }
    }
  }
}

/// A generator of random graphs from a seed (deterministic).
enum RandomGraph {
  static func make(seed: UInt64) -> ([Var], [Var], [Tensor]) {
    var rng = SeededGenerator(seed: seed)
    let a = input("a", .float64, [3, 4])
    let b = input("b", .float64, [3, 4])
    let v = input("v", .float64, [4])
    let w = input("w", .float64, [4, 4])
    let ins = [a, b, v, w]
    let args = [
      rng.tensor([3, 4], -1.5, 1.5), rng.tensor([3, 4], -1.5, 1.5), rng.tensor([4], -1, 1),
      rng.tensor([4, 4], -0.7, 0.7),
    ]
    var mats = [a, b]  // [3, 4] values
    var rows = [v]  // [4] values
    func pick(_ xs: [Var]) -> Var { xs[Int.random(in: 0..<xs.count, using: &rng)] }
    let steps = Int.random(in: 6...24, using: &rng)
    for _ in 0..<steps {
      let x = pick(mats)
      let y = pick(mats)
      let r = pick(rows)
      let made: Var
      switch Int.random(in: 0..<22, using: &rng) {
      case 0: made = x + y
      case 1: made = x - y * 0.5
      case 2: made = x * y
      case 3: made = x / (1.5 + tanh(y))
      case 4: made = tanh(x) + r
      case 5: made = sigmoid(x) * 2.0 - 1.0
      case 6: made = exp(tanh(x))
      case 7: made = log(1.0 + square(x))
      case 8: made = maximum(x, y) - minimum(x, r)
      case 9: made = select(x > y, x, -y)
      case 10: made = matmul(x, w) + r
      case 11: made = matmul(x, w, transposeB: true) * 0.5 - y
      case 12: made = x - sum(x, axes: [1], keepDims: true) / 4.0
      case 13: made = transpose(transpose(x) * 2.0)
      case 14: made = reshape(reshape(x, [2, 6]), [3, 4]) + 0.0
      case 15: made = log(softmax(x, axis: 1))
      case 16: made = broadcast(log(sum(exp(x), axes: [0])), to: [3, 4]) * (x - x + 1.0)
      // Bounded logits: for large ones 1 - σ loses digits as built, and the stable form is the
      // more accurate one.
      case 17: made = log(sigmoid(tanh(x) * 3.0)) + log(1.0 - sigmoid(tanh(y) * 3.0))
      case 18: made = exp(log(1.0 + square(x))) * 1.0 - (-(-y))
      case 19:
        rows.append(sum(x * y, axes: [0]) + sum(broadcast(r, to: [3, 4]), axes: [0]))
        continue
      // (x / m) · m: cancel-factors makes it exactly x, so it is offset from x (a comparison of two
      // values equal up to rounding could go either way).
      case 20: made = x / y.abs().maximumOne() * y.abs().maximumOne() + 0.25
      default: made = recurrent(x, w, r)
      }
      mats.append(made)
    }
    var outs = [mats.last!, pick(mats), pick(rows)]
    if Bool.random(using: &rng) {
      let cost = sum(mats.last! * mats[mats.count / 2]) + sum(square(rows.last!))
      if let gs = try? grad(cost, wrt: [a, w, v], disconnected: .zero) { outs += gs }
    }
    return (outs, ins, args)
  }

  /// A loop over the rows of x: h ← tanh(x[t]·W + h·W·0.5 + r), stacked.
  static func recurrent(_ x: Var, _ w: Var, _ r: Var) -> Var {
    let xs = reshape(x, [3, 1, 4])
    let h0 = constant(Tensor.zeros(.float64, [1, 4]))
    let res = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      let h = tanh(matmul(s["x"], w) + matmul(s["h"], w) * 0.5 + r)
      return ScanStepResult(carries: ["h": h], outputs: ["h": h])
    }
    return reshape(res["h"], [3, 4])
  }
}

extension Var {
  /// max(self, 1): a divisor that is never small.
  fileprivate func maximumOne() -> Var { maximum(self, self * 0.0 + 1.0) }
  fileprivate func abs() -> Var { Graph.abs(self) }
}
