import Codegen
import Foundation
import TestSupport
import XCTest

/// The Training library: every step rule against a plain Double loop written from its formula (on
/// both backends, parameters and state after each step), clipping, the argument checks and the
/// initialisers (orthogonality, Glorot's bounds and variance, determinism, the app's recorded values).
final class TrainingLibraryTests: XCTestCase {
  static let modes: [Mode] = [.interpreter, .native]
  static let steps = 6
  /// Two parameters, a vector and a matrix.
  static let parameterShapes: [(name: String, shape: [Int])] = [("w", [3]), ("b", [2, 2])]

  /// The gradient of parameter `i` at step `k` (from 0): varied signs and sizes; element 0 of the first
  /// parameter is tiny, so that Blocks' RMSprop floor is reached.
  static func gradient(_ i: Int, step k: Int, count: Int) -> [Double] {
    (0..<count).map { j in
      let g = Foundation.sin(1.3 * Double(j) + 0.7 * Double(k) + Double(i) + 0.1) * Double(k % 3 + 1)
      return i == 0 && j == 0 ? g * 1e-6 : g
    }
  }

  static func initialValue(_ i: Int, count: Int) -> [Double] {
    (0..<count).map { j in Foundation.cos(0.9 * Double(j) + Double(i)) }
  }

  // MARK: - The reference

  /// The state kinds of a rule, per parameter, in the order the library makes them.
  static func kinds(_ rule: StepRule) -> [String] {
    switch rule {
    case .sgd(_, let momentum, _): return momentum == 0 ? [] : ["velocity"]
    case .adam: return ["m", "v"]
    case .rmsprop: return ["mean_square"]
    case .gravesRMSprop: return ["mean_square", "mean_grad", "delta"]
    case .adagrad: return ["ssq"]
    case .adadelta: return ["mean_square_grad", "mean_square_delta"]
    case .scale: return []
    }
  }

  /// One step of `rule` on one element, from the rule's formula: updates `p` and the element's
  /// `state` (by kind) and returns the step subtracted from `p`. `t` is the step number, from 1.
  static func referenceStep(
    _ rule: StepRule, p: inout Double, g: Double, state s: inout [String: Double], t: Double
  ) -> Double {
    var step: Double
    switch rule {
    case .sgd(let lr, let mu, let nesterov):
      if mu == 0 {
        step = lr * g
      } else {
        s["velocity"] = mu * s["velocity"]! + g
        step = nesterov ? lr * (g + mu * s["velocity"]!) : lr * s["velocity"]!
      }
    case .adam(let lr, let b1, let b2, let eps):
      s["m"] = b1 * s["m"]! + (1 - b1) * g
      s["v"] = b2 * s["v"]! + (1 - b2) * g * g
      let mHat = s["m"]! / (1 - Foundation.pow(b1, t))
      let vHat = s["v"]! / (1 - Foundation.pow(b2, t))
      // Kingma & Ba's "more efficient" ordering: ε is added to √v, not to √v̂.
      step = lr * mHat / (vHat.squareRoot() + eps / (1 - Foundation.pow(b2, t)).squareRoot())
    case .rmsprop(let lr, let decay, let denominator):
      s["mean_square"] = decay * s["mean_square"]! + (1 - decay) * g * g
      let rms = s["mean_square"]!.squareRoot()
      switch denominator {
      case .plusEpsilon(let eps): step = lr * g / (rms + eps)
      case .floored(let maxScaling): step = lr * g / Swift.max(rms, 1 / maxScaling)
      }
    case .gravesRMSprop(let lr, let decay, let momentum, let eps):
      // arXiv:1308.0850 eqs. 38-41 with ℵ = decay, ℶ = momentum, ג = lr, ℸ = eps.
      let n = decay * s["mean_square"]! + (1 - decay) * g * g
      let gbar = decay * s["mean_grad"]! + (1 - decay) * g
      let delta = momentum * s["delta"]! - lr * g / (n - gbar * gbar + eps).squareRoot()
      (s["mean_square"], s["mean_grad"], s["delta"]) = (n, gbar, delta)
      p += delta
      return -delta
    case .adagrad(let lr, let eps):
      s["ssq"] = s["ssq"]! + g * g
      step = lr * g / (s["ssq"]!.squareRoot() + eps)
    case .adadelta(let decay, let eps):
      s["mean_square_grad"] = decay * s["mean_square_grad"]! + (1 - decay) * g * g
      step = (s["mean_square_delta"]! + eps).squareRoot() / (s["mean_square_grad"]! + eps).squareRoot() * g
      s["mean_square_delta"] = decay * s["mean_square_delta"]! + (1 - decay) * step * step
    case .scale(let lr):
      step = lr * g
    }
    p -= step
    return step
  }

  /// Compiles `rule`'s float64 update graph (parameters shared, gradients inputs), runs `steps` steps
  /// on `mode` and compares every parameter and state value, and the step norm, with the reference.
  func checkRule(_ rule: StepRule, file: StaticString = #filePath, line: UInt = #line) throws {
    for mode in Self.modes {
      let params = Self.parameterShapes.enumerated().map { i, p in
        shared(tensor(p.shape, Self.initialValue(i, count: p.shape.reduce(1, *))), name: p.name)
      }
      let grads = Self.parameterShapes.map { input("grad/\($0.name)", .float64, $0.shape.map { .fixed($0) }) }
      let u = try stepUpdates(rule, parameters: params, gradients: grads)
      // State: its names, in order, and its initial zeros.
      var expectedNames = rule.isAdam ? ["optimizer/t"] : []
      for p in Self.parameterShapes { expectedNames += Self.kinds(rule).map { "optimizer/\($0)/\(p.name)" } }
      XCTAssertEqual(u.state.map { $0.sharedVariable?.name }, expectedNames, "\(rule)", file: file, line: line)
      XCTAssertEqual(u.updates.count, u.state.count + params.count, file: file, line: line)
      XCTAssertEqual(u.steps.count, params.count, file: file, line: line)
      let f = try compile(inputs: grads, outputs: [globalNorm(u.steps)], updates: u.updates, mode: mode)
      if mode == .native { XCTAssertEqual(f.backend, .native, file: file, line: line) }

      var p = Self.parameterShapes.indices.map {
        Self.initialValue($0, count: Self.parameterShapes[$0].shape.reduce(1, *))
      }
      var state = p.map { $0.map { _ in Dictionary(uniqueKeysWithValues: Self.kinds(rule).map { ($0, 0.0) }) } }
      for k in 0..<Self.steps {
        let g = Self.parameterShapes.enumerated().map { i, s in Self.gradient(i, step: k, count: s.shape.reduce(1, *)) }
        let out = try f.call(zip(Self.parameterShapes, g).map { tensor($0.shape, $1) })
        var stepSquares = 0.0
        for i in p.indices {
          for j in p[i].indices {
            let s = Self.referenceStep(rule, p: &p[i][j], g: g[i][j], state: &state[i][j], t: Double(k + 1))
            stepSquares += s * s
          }
        }
        let what = "\(rule), \(mode), step \(k + 1)"
        assertTensor(
          out[0], .float64, [], [stepSquares.squareRoot()], tol: 1e-12, "step norm, \(what)", file: file, line: line)
        for (i, v) in params.enumerated() {
          assertTensor(
            v.sharedVariable!.value, .float64, Self.parameterShapes[i].shape, p[i], tol: 1e-12, atol: 1e-15,
            "parameter \(Self.parameterShapes[i].name), \(what)", file: file, line: line)
        }
        var position = 0
        if rule.isAdam {
          assertTensor(
            u.state[0].sharedVariable!.value, .float64, [], [Double(k + 1)], "t, \(what)", file: file, line: line)
          position = 1
        }
        for i in p.indices {
          for kind in Self.kinds(rule) {
            let v = u.state[position].sharedVariable!
            assertTensor(
              v.value, .float64, Self.parameterShapes[i].shape, state[i].map { $0[kind]! }, tol: 1e-12, atol: 1e-15,
              "\(v.name), \(what)", file: file, line: line)
            position += 1
          }
        }
      }
    }
  }

  // MARK: - Step rules

  func testSGD() throws {
    try checkRule(.sgd(learningRate: 0.1))
    try checkRule(.sgd(learningRate: 0.1, momentum: 0.9))
    try checkRule(.sgd(learningRate: 0.05, momentum: 0.8, nesterov: true))
  }

  func testAdam() throws {
    try checkRule(.adam())
    try checkRule(.adam(learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6))
  }

  func testRMSprop() throws {
    try checkRule(.rmsprop())
    try checkRule(.rmsprop(learningRate: 0.01, decay: 0.8, denominator: .plusEpsilon(1e-4)))
  }

  /// Blocks' form, as the app's `--step-method rmsprop` uses it: the tiny gradient element is floored.
  func testBlocksRMSprop() throws {
    let rule = StepRule.rmsprop(learningRate: 1e-3, decay: 0.95, denominator: .floored(maxScaling: 1e5))
    try checkRule(rule)
    // The floor is reached: the first step of the tiny element is lr · g · maxScaling.
    var p = 0.0
    var s = ["mean_square": 0.0]
    let g = Self.gradient(0, step: 0, count: 1)[0]
    XCTAssertLessThan(Swift.abs(g), 1e-6)
    XCTAssertEqual(Self.referenceStep(rule, p: &p, g: g, state: &s, t: 1), 1e-3 * g * 1e5, accuracy: 1e-20)
  }

  /// Graves' RMSprop (arXiv:1308.0850 eqs. 38-41): its four constants and their defaults.
  func testGravesRMSprop() throws {
    XCTAssertEqual(
      StepRule.gravesRMSprop(), .gravesRMSprop(learningRate: 1e-4, decay: 0.95, momentum: 0.9, epsilon: 1e-4),
      "ℵ = 0.95, ℶ = 0.9, ג = 1e-4, ℸ = 1e-4")
    try checkRule(.gravesRMSprop())
    try checkRule(.gravesRMSprop(learningRate: 1e-2, decay: 0.9, momentum: 0.5, epsilon: 1e-3))
  }

  func testAdagrad() throws {
    try checkRule(.adagrad(learningRate: 0.1))
    try checkRule(.adagrad(learningRate: 0.5, epsilon: 1e-3))
  }

  func testAdadelta() throws {
    XCTAssertEqual(StepRule.adadelta(), .adadelta(decay: 0.95, epsilon: 1e-6), "Blocks' constants")
    try checkRule(.adadelta())
    try checkRule(.adadelta(decay: 0.9, epsilon: 1e-4))
  }

  func testScale() throws {
    try checkRule(.scale(learningRate: 0.5))
  }

  /// The state has the parameters' dtype (float32 here) and a custom prefix names it.
  func testStateDtypeAndPrefix() throws {
    let w = shared(Tensor(shape: [2], [Float(1), 2]), name: "layer/W")
    let u = try stepUpdates(.adam(learningRate: 0.1), parameters: [w], gradients: [fill(like: w, 0.5)], prefix: "opt2")
    XCTAssertEqual(u.state.map(\.name), ["opt2/t", "opt2/m/layer/W", "opt2/v/layer/W"])
    XCTAssertEqual(u.state.map(\.dtype), [.float32, .float32, .float32])
    for mode in Self.modes {
      try w.sharedVariable!.set(Tensor(shape: [2], [Float(1), 2]))
      for s in u.state { try s.sharedVariable!.set(Tensor.zeros(.float32, s.sharedVariable!.value.shape)) }
      let f = try compile(inputs: [], outputs: [], updates: u.updates, mode: mode)
      _ = try f.call([])
      // Adam's first step is lr · sign(g) (up to ε): 1 - 0.1, 2 - 0.1.
      assertTensor(w.sharedVariable!.value, .float32, [2], [0.9, 1.9], tol: 1e-6, "\(mode)")
      assertTensor(u.state[0].sharedVariable!.value, .float32, [], [1], "\(mode)")
    }
  }

  func testArgumentErrors() throws {
    let w = shared(Tensor.zeros(.float64, [2]), name: "w")
    let x = input("x", .float64, [2])
    let g = fill(like: w, 1)
    assertThrows(["stepUpdates", "parameter 0 must be a shared variable", "'x'"]) {
      try stepUpdates(.adam(), parameters: [x], gradients: [g])
    }
    assertThrows(["stepUpdates", "2 parameters but 1 gradients"]) {
      try stepUpdates(.sgd(), parameters: [w, w], gradients: [g])
    }
    assertThrows(["stepUpdates", "parameter 'w' appears twice"]) {
      try stepUpdates(.sgd(), parameters: [w, w], gradients: [g, g])
    }
    assertThrows(["stepUpdates", "the gradient of 'w'", "f32"]) {
      try stepUpdates(.sgd(), parameters: [w], gradients: [g.cast(.float32)])
    }
  }

  // MARK: - Clipping

  func testClipByGlobalNorm() throws {
    let a = input("a", .float64, [3])
    let b = input("b", .float64, [1])
    let args = [tensor([3], [3, 4, 0]), tensor([1], [-12])]  // global norm 13
    for mode in Self.modes {
      // Above the threshold: all scaled by 6.5 / 13.
      let (above, norm) = clipByGlobalNorm([a, b], maxNorm: 6.5)
      var out = try compile(inputs: [a, b], outputs: above + [norm], mode: mode).call(args)
      assertTensor(out[0], .float64, [3], [1.5, 2, 0], tol: 1e-15, "\(mode)")
      assertTensor(out[1], .float64, [1], [-6], tol: 1e-15, "\(mode)")
      assertTensor(out[2], .float64, [], [13], tol: 1e-15, "\(mode)")
      // Below: unchanged.
      let (below, norm2) = clipByGlobalNorm([a, b], maxNorm: 20)
      out = try compile(inputs: [a, b], outputs: below + [norm2, globalNorm(below)], mode: mode).call(args)
      assertTensor(out[0], .float64, [3], [3, 4, 0], "\(mode)")
      assertTensor(out[1], .float64, [1], [-12], "\(mode)")
      assertTensor(out[2], .float64, [], [13], tol: 1e-15, "\(mode)")
      assertTensor(out[3], .float64, [], [13], tol: 1e-15, "\(mode)")
    }
    // maxNorm <= 0: no clipping, the gradients themselves.
    let (same, norm) = clipByGlobalNorm([a, b], maxNorm: 0)
    XCTAssertTrue(same[0] === a && same[1] === b)
    assertTensor(try evaluate1(norm, [a, b], args), .float64, [], [13], tol: 1e-15)
  }

  func testClipByValue() throws {
    let x = input("x", .float64, [5])
    for mode in Self.modes {
      let f = try compile(inputs: [x], outputs: [clipByValue(x, -1, 0.5)], mode: mode)
      assertTensor(try f(tensor([5], [-3, -0.5, 0, 0.7, 2]))[0], .float64, [5], [-1, -0.5, 0, 0.5, 0.5], "\(mode)")
    }
  }

  // MARK: - Initialisers

  func testFans() {
    XCTAssertTrue(Initializer.fans([3, 4]) == (3, 4))
    XCTAssertTrue(Initializer.fans([5]) == (5, 5))
    XCTAssertTrue(Initializer.fans([2, 3, 4, 5]) == (24, 30))
  }

  /// QᵀQ = gain²·I for tall shapes, QQᵀ = gain²·I for wide ones (rank 3 as the matrix [k₁·k₂, last]).
  func testOrthogonal() {
    let gain = 1.5
    for dtype in [DType.float32, .float64] {
      for shape in [[5, 3], [3, 5], [4, 4], [2, 3, 4], [1, 6]] {
        let t = Initializer.orthogonal(shape, gain: gain, dtype: dtype, key: RandomKey(seed: 3))
        XCTAssertEqual(t.dtype, dtype)
        XCTAssertEqual(t.shape, shape)
        let q = t.doubles
        let (n, m) = (shape.dropLast().reduce(1, *), shape.last!)
        let (count, length) = n >= m ? (m, n) : (n, m)
        func entry(_ vector: Int, _ r: Int) -> Double { n >= m ? q[r * m + vector] : q[vector * m + r] }
        for a in 0..<count {
          for b in 0..<count {
            let dot = (0..<length).reduce(0.0) { $0 + entry(a, $1) * entry(b, $1) }
            XCTAssertEqual(
              dot, a == b ? gain * gain : 0, accuracy: 1e-5 * gain * gain, "\(shape) \(dtype) (\(a), \(b))")
          }
        }
      }
    }
  }

  func testGlorotBoundsAndVariance() {
    let shape = [200, 100]
    let glorotVariance = 2.0 / 300
    for gain in [1.0, 2.0] {
      let u = Initializer.glorotUniform(shape, gain: gain, key: RandomKey(seed: 5)).doubles
      let bound = gain * (6.0 / 300).squareRoot()
      XCTAssertTrue(u.allSatisfy { Swift.abs($0) <= bound * (1 + 1e-6) })
      XCTAssertGreaterThan(u.map { Swift.abs($0) }.max()!, 0.99 * bound)
      XCTAssertEqual(variance(u) / (gain * gain * glorotVariance), 1, accuracy: 0.05)
      let g = Initializer.glorotNormal(shape, gain: gain, dtype: .float64, key: RandomKey(seed: 6)).doubles
      XCTAssertEqual(variance(g) / (gain * gain * glorotVariance), 1, accuracy: 0.05)
      XCTAssertLessThan(Swift.abs(g.reduce(0, +) / Double(g.count)), 0.03 * gain * glorotVariance.squareRoot())
      XCTAssertGreaterThan(g.map { Swift.abs($0) }.max()!, 3 * gain * glorotVariance.squareRoot(), "not truncated")
    }
    let w = Initializer.uniform([50], width: 0.08, key: RandomKey(seed: 2))
    XCTAssertEqual(w.doubles, Random.uniform(key: RandomKey(seed: 2), shape: [50], low: -0.08, high: 0.08).doubles)
    XCTAssertTrue(w.doubles.allSatisfy { $0 >= -0.08 && $0 < 0.08 })
  }

  /// The same key gives the same tensor; another key another one.
  func testDeterminismPerKey() {
    let makers: [(String, (RandomKey) -> Tensor)] = [
      ("uniform", { Initializer.uniform([4, 3], width: 0.1, key: $0) }),
      ("glorotUniform", { Initializer.glorotUniform([4, 3], key: $0) }),
      ("glorotNormal", { Initializer.glorotNormal([4, 3], key: $0) }),
      ("orthogonal", { Initializer.orthogonal([4, 3], key: $0) }),
      ("orthogonalGlorot", { Initializer.orthogonalGlorot([4, 6], blockWidth: 3, key: $0) }),
    ]
    for (name, make) in makers {
      XCTAssertEqual(make(RandomKey(seed: 9)).doubles, make(RandomKey(seed: 9)).doubles, name)
      XCTAssertNotEqual(make(RandomKey(seed: 9)).doubles, make(RandomKey(seed: 10)).doubles, name)
      XCTAssertNotEqual(make(RandomKey(seed: 9)).doubles, make(RandomKey(seed: 9).fold(1)).doubles, name)
    }
  }

  /// Values recorded from the app's `Initialization.orthogonalGlorot` before it moved to the library:
  /// a tall case, a wide case (in < blockWidth) and a single block.
  func testOrthogonalGlorotMatchesTheAppsRecordedValues() {
    let recorded: [([Int], Int, UInt64, [Float])] = [
      (
        [6, 8], 4, 1,
        [
          -0.23624864, 0.007233265, 0.20259276, 0.6856063, 0.048123363, 0.43589795, -0.028005598, 0.32951218,
          0.31845295, 0.23873828, 0.89580214, 0.24754372, 0.03958484, -0.38149926, -0.78897417, 0.4608571,
          -0.8642474, -0.43813863, 0.29924715, -0.14812882, 0.062294457, -0.40851426, 0.58507425, 0.81074953,
          0.50668424, -0.8122595, -0.13635269, 0.20019764, -0.70190084, -0.009742461, -0.36590603, 0.1715579,
          0.12353012, 0.25765076, 0.12910992, -0.65239626, 0.33408245, 0.7715888, -0.17784815, 0.4171858,
          0.15447375, -0.47416967, 0.4813361, -0.4254691, 0.7667859, -0.3195672, -0.26250032, -0.13506143,
        ]
      ),
      (
        [3, 8], 4, 2,
        [
          -0.584299, 0.2979035, -0.6791254, -0.50149167, -0.639522, 0.20436847, 0.36521944, -0.7474738,
          0.31897393, 0.18430682, 0.46365103, -0.89004016, -0.68878555, 0.0800178, -0.7805195, 0.22982176,
          -0.8364407, -0.14811848, 0.64901954, 0.0076587163, -0.42137486, 0.24912551, 0.611589, 0.7274584,
        ]
      ),
      (
        [5, 6], 6, 7,
        [
          0.7587323, -0.15686212, 0.160501, 0.51975316, -0.18094897, 0.40247014, -0.17213699, -0.62873185,
          -0.37996385, -0.068920895, 0.47956264, 0.53560364, -0.6025415, 0.21319598, 0.30626538, 0.71526784,
          0.143323, 0.23759685, -0.032049865, 0.6362363, -0.27190807, -0.28890848, -0.2107378, 0.6951782,
          0.33018413, 0.46744707, -0.3089688, 0.19218698, 0.76257557, -0.22239996,
        ]
      ),
    ]
    for (shape, blockWidth, seed, values) in recorded {
      let t = Initializer.orthogonalGlorot(shape, blockWidth: blockWidth, key: RandomKey(seed: seed))
      XCTAssertEqual(t.dtype, .float32)
      XCTAssertEqual(t.shape, shape)
      XCTAssertEqual(t.array(Float.self), values, "\(shape) blockWidth \(blockWidth) seed \(seed)")
      // In float64 it is the same draw before rounding.
      let t64 = Initializer.orthogonalGlorot(shape, blockWidth: blockWidth, dtype: .float64, key: RandomKey(seed: seed))
      XCTAssertEqual(t64.doubles.map { Float($0) }, values)
    }
  }

  // MARK: - The DocC article

  /// The example of Codegen.docc/Training.md, verbatim (between the markers), so that it runs.
  func testTrainingArticleExample() throws {
    // --- Training.md ---
    let x = input("x", .float32, ["N", 2])
    let y = input("y", .float32, ["N"])
    let key = RandomKey(seed: 0)
    let w = shared(Initializer.glorotUniform([2, 8], key: key.fold(0)), name: "w")
    let v = shared(Initializer.orthogonal([8, 1], key: key.fold(1)), name: "v")
    let logit = reshape(matmul(tanh(matmul(x, w)), v), [-1])
    let cost = mean(softplus(logit) - y * logit)

    let grads = try grad(cost, wrt: [w, v])
    let (clipped, gradNorm) = clipByGlobalNorm(grads, maxNorm: 1)
    let step = try stepUpdates(.adam(learningRate: 0.05), parameters: [w, v], gradients: clipped)
    let train = try compile(
      inputs: [x, y], outputs: [cost, gradNorm, globalNorm(step.steps)], updates: step.updates)

    let points = Random.normal(key: key.fold(2), shape: [256, 2]).array(Float.self)
    let labels = (0..<256).map { points[2 * $0] + 2 * points[2 * $0 + 1] > 0 ? Float(1) : 0 }
    let (xs, ys) = (Tensor(shape: [256, 2], points), Tensor(shape: [256], labels))
    for i in 0..<200 {
      let out = try train(xs, ys)
      if i % 50 == 0 { print("cost", out[0].scalarValue, "gradient norm", out[1].scalarValue) }
    }
    print(step.state.map(\.name!))  // optimizer/t, optimizer/m/w, optimizer/v/w, optimizer/m/v, optimizer/v/v
    // --- end ---
    var costs: [Double] = []
    var norms: [Double] = []
    for _ in 0..<3 {
      let out = try train(xs, ys)
      costs.append(out[0].scalarValue)
      norms.append(out[1].scalarValue)
    }
    XCTAssertLessThan(costs.last!, 0.05, "200 Adam steps fit the separable labels: \(costs)")
    XCTAssertTrue(norms.allSatisfy { $0 > 0 && $0.isFinite })
    XCTAssertEqual(
      step.state.map(\.name!), ["optimizer/t", "optimizer/m/w", "optimizer/v/w", "optimizer/m/v", "optimizer/v/v"])
    XCTAssertEqual(step.state[0].sharedVariable!.value.scalarValue, 203)
  }

  func variance(_ x: [Double]) -> Double {
    let mean = x.reduce(0, +) / Double(x.count)
    return x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)
  }
}

extension StepRule {
  fileprivate var isAdam: Bool {
    if case .adam = self { return true }
    return false
  }
}
