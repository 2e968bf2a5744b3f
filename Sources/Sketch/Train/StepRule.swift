import Codegen

/// The gradient step rules of the original (Blocks): adam, rmsprop, adagrad, adadelta, scale.
enum StepMethod: String, CaseIterable, Codable {
  case adam, rmsprop, adagrad, adadelta, scale
}

/// The optimizer as graph updates: clip the gradients by their total norm, then apply a step rule.
///
/// State variables (moments, accumulators, the step count) are shared variables named
/// `optimizer/<state>/<parameter name>`, saved with checkpoints.
struct StepRule {
  let method: StepMethod
  let learningRate: Double
  let maxGrad: Double
  /// Every state variable, in a fixed order.
  private(set) var state: [(name: String, variable: Var)] = []

  init(method: StepMethod, learningRate: Double, maxGrad: Double) {
    self.method = method
    self.learningRate = learningRate
    self.maxGrad = maxGrad
  }

  private mutating func slot(_ kind: String, like p: (name: String, variable: Var)) -> Var {
    let t = p.variable.sharedVariable!.value
    let v = shared(Tensor.zeros(t.dtype, t.shape), name: "optimizer/\(kind)/\(p.name)")
    state.append((v.name!, v))
    return v
  }

  /// The updates of one step, and the monitored norms (total gradient norm, total step norm).
  mutating func updates(
    parameters: [(name: String, variable: Var)], gradients: [Var]
  ) -> (updates: [(Var, Var)], gradientNorm: Var, stepNorm: Var) {
    let gradNorm = sqrt(gradients.map { sum(square($0)) }.reduce(constant(0, .float32), +))
    // Blocks' StepClipping: scale all gradients by threshold / norm when the norm exceeds it.
    let clip =
      maxGrad > 0 ? select(gradNorm > maxGrad, maxGrad / gradNorm, constant(1, .float32)) : constant(1, .float32)
    var updates: [(Var, Var)] = []
    var steps: [Var] = []
    let lr = learningRate
    var t1: Var? = nil
    if method == .adam {
      let t = shared(Tensor(scalar: Float(0)), name: "optimizer/t")
      state.append(("optimizer/t", t))
      t1 = t + 1
      updates.append((t, t1!))
    }
    for (p, g0) in zip(parameters, gradients) {
      let g = g0 * clip
      let step: Var
      switch method {
      case .adam:
        let (b1, b2, eps) = (0.9, 0.999, 1e-8)
        let m = slot("m", like: p)
        let v = slot("v", like: p)
        let m1 = m * b1 + g * (1 - b1)
        let v1 = v * b2 + square(g) * (1 - b2)
        let lrT = lr * sqrt(1 - pow(constant(b2, .float32), t1!)) / (1 - pow(constant(b1, .float32), t1!))
        step = lrT * m1 / (sqrt(v1) + eps)
        updates += [(m, m1), (v, v1)]
      case .rmsprop:
        // Blocks' RMSProp: decay 0.95, the root mean square floored at 1/max_scaling (1e-5).
        let ms = slot("mean_square", like: p)
        let ms1 = ms * 0.95 + square(g) * 0.05
        step = g * lr / sqrt(maximum(ms1, fill(like: ms1, 1e-10)))
        updates.append((ms, ms1))
      case .adagrad:
        let ssq = slot("ssq", like: p)
        let ssq1 = ssq + square(g)
        step = g * lr / (sqrt(ssq1) + 1e-6)
        updates.append((ssq, ssq1))
      case .adadelta:
        // Blocks' AdaDelta: decay 0.95, epsilon 1e-6; no learning rate.
        let msg = slot("mean_square_grad", like: p)
        let msd = slot("mean_square_delta", like: p)
        let msg1 = msg * 0.95 + square(g) * 0.05
        step = sqrt(msd + 1e-6) / sqrt(msg1 + 1e-6) * g
        updates += [(msg, msg1), (msd, msd * 0.95 + square(step) * 0.05)]
      case .scale:
        step = g * lr
      }
      steps.append(step)
      updates.append((p.variable, p.variable - step))
    }
    let stepNorm = sqrt(steps.map { sum(square($0)) }.reduce(constant(0, .float32), +))
    return (updates, gradNorm, stepNorm)
  }
}
