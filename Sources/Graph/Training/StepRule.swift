import Graph
import SketchRuntime

/// A gradient step rule (an optimizer, like optax's transformations), which
/// ``stepUpdates(_:parameters:gradients:prefix:file:line:)`` turns into a training step's updates.
///
/// Each rule computes a step `s` from the gradient `g` and its own state, and the update is `p ← p − s`.
/// The defaults are the usual ones of each method's paper (Adadelta's and RMSprop's Blocks form are
/// those of the Blocks library).
public enum StepRule: Hashable, Sendable {
  /// Gradient descent with momentum: `v ← μ v + g`, `s = lr · v`, or with Nesterov `s = lr · (g + μ v)`.
  ///
  /// With `momentum` 0 there is no state and `s = lr · g`. The velocity is `<prefix>/velocity/<name>`.
  case sgd(learningRate: Double = 1e-2, momentum: Double = 0, nesterov: Bool = false)
  /// Adam (Kingma & Ba): `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `t ← t + 1`,
  /// `s = lr · √(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)`.
  ///
  /// State: `<prefix>/t` (one step count for all parameters), `<prefix>/m/<name>`, `<prefix>/v/<name>`.
  case adam(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8)
  /// RMSprop (Tieleman & Hinton): `n ← ρn + (1−ρ)g²`, `s = lr · g / D(n)` with the denominator `D`
  /// of ``RMSpropDenominator``. State: `<prefix>/mean_square/<name>`.
  case rmsprop(learningRate: Double = 1e-3, decay: Double = 0.9, denominator: RMSpropDenominator = .plusEpsilon(1e-8))
  /// Graves' RMSprop with momentum (arXiv:1308.0850, eqs. 38–41), in his notation
  /// ℵ = `decay`, ℶ = `momentum`, ג = `learningRate`, ℸ = `epsilon`:
  /// `n ← ℵn + (1−ℵ)g²`, `ḡ ← ℵḡ + (1−ℵ)g`, `Δ ← ℶΔ − ג g / √(n − ḡ² + ℸ)`, `w ← w + Δ` (so `s = −Δ`).
  ///
  /// State: `<prefix>/mean_square/<name>`, `<prefix>/mean_grad/<name>`, `<prefix>/delta/<name>`.
  case gravesRMSprop(
    learningRate: Double = 1e-4, decay: Double = 0.95, momentum: Double = 0.9, epsilon: Double = 1e-4)
  /// Adagrad (Duchi et al.): `a ← a + g²`, `s = lr · g / (√a + ε)`. State: `<prefix>/ssq/<name>`.
  case adagrad(learningRate: Double = 1e-2, epsilon: Double = 1e-6)
  /// Adadelta (Zeiler), with Blocks' defaults: `n ← ρn + (1−ρ)g²`, `s = √(d + ε) / √(n + ε) · g`,
  /// `d ← ρd + (1−ρ)s²`; no learning rate.
  ///
  /// State: `<prefix>/mean_square_grad/<name>`, `<prefix>/mean_square_delta/<name>`.
  case adadelta(decay: Double = 0.95, epsilon: Double = 1e-6)
  /// The gradient scaled: `s = g · lr` (Blocks' `Scale`); no state.
  case scale(learningRate: Double = 1)

  /// How ``StepRule/rmsprop(learningRate:decay:denominator:)`` keeps its denominator away from zero.
  public enum RMSpropDenominator: Hashable, Sendable {
    /// `√n + ε` (the common form: Keras, PyTorch, optax).
    case plusEpsilon(Double)
    /// `√max(n, 1/maxScaling²)`: the root mean square floored at `1/maxScaling` (Blocks' `RMSProp`,
    /// whose default `maxScaling` is 1e5); the step is at most `maxScaling · lr · g`.
    case floored(maxScaling: Double)
  }
}

/// The updates of one optimizer step, for `compile(updates:)`, with the state they create.
public struct StepUpdates: @unchecked Sendable {
  /// Pairs (shared variable, new value): the state variables and the parameters, in a fixed order
  /// (a rule's global state first, then per parameter its state and then the parameter).
  public var updates: [(Var, Var)]
  /// The shared variables the rule created (moments, accumulators, step count), in the order they
  /// were made; save and restore them with a checkpoint to continue a run.
  public var state: [Var]
  /// Per parameter, the step subtracted from it (`p ← p − step`), to monitor e.g. ``globalNorm(_:file:line:)``.
  public var steps: [Var]
}

/// The updates of one step of `rule` for `parameters` (shared variables) given their `gradients`.
///
/// The rule's state lives in new shared variables, zero-initialised with each parameter's dtype and
/// shape and named `<prefix>/<state kind>/<parameter name>` (or `<prefix>/<kind>` for state common to
/// all parameters, such as Adam's step count `<prefix>/t`). Call it once per training function: a
/// second call makes a second, independent state.
///
/// Throws when a parameter is not a shared variable, appears twice, or when the counts or the dtype
/// of a parameter and its gradient differ.
public func stepUpdates(
  _ rule: StepRule, parameters: [Var], gradients: [Var], prefix: String = "optimizer",
  file: StaticString = #fileID, line: UInt = #line
) throws -> StepUpdates {
  let here = SourceLocation(file: file, line: line)
  func fail(_ message: String, _ operands: [Var] = []) -> GraphError {
    GraphError(op: "stepUpdates", message, location: here, operands: operands.map(\.operandDescription))
  }
  guard parameters.count == gradients.count else {
    throw fail("\(parameters.count) parameters but \(gradients.count) gradients; give one gradient per parameter")
  }
  var seen: Set<SharedVariable> = []
  for (i, (p, g)) in zip(parameters, gradients).enumerated() {
    try p.check()
    try g.check()
    guard let s = p.sharedVariable else {
      throw fail("parameter \(i) must be a shared variable (made by `shared(_:name:)`)", [p])
    }
    guard seen.insert(s).inserted else { throw fail("parameter '\(s.name)' appears twice", [p]) }
    guard g.dtype == p.dtype, g.rank == p.rank else {
      throw fail("the gradient of '\(s.name)' (\(g.type)) does not have the parameter's type \(p.type)", [p, g])
    }
  }
  return SourceLocation.with(here) { stepUpdatesChecked(rule, parameters, gradients, prefix) }
}

private func stepUpdatesChecked(_ rule: StepRule, _ parameters: [Var], _ gradients: [Var], _ prefix: String)
  -> StepUpdates
{
  var result = StepUpdates(updates: [], state: [], steps: [])
  func slot(_ kind: String, like p: Var) -> Var {
    let s = p.sharedVariable!
    let v = shared(Tensor.zeros(s.type.dtype, s.value.shape), name: "\(prefix)/\(kind)/\(s.name)")
    result.state.append(v)
    return v
  }
  let dtype = parameters.first?.dtype ?? .float32
  // Adam's step count, common to all parameters.
  var t1: Var? = nil
  if case .adam = rule, !parameters.isEmpty {
    let t = shared(Tensor(shape: [], dtype: dtype, values: [0]), name: "\(prefix)/t")
    result.state.append(t)
    t1 = t + 1
    result.updates.append((t, t1!))
  }
  for (p, g) in zip(parameters, gradients) {
    var step: Var
    var newValue: Var? = nil
    switch rule {
    case .sgd(let lr, let mu, let nesterov):
      if mu == 0 {
        step = g * lr
      } else {
        let v = slot("velocity", like: p)
        let v1 = v * mu + g
        step = (nesterov ? g + v1 * mu : v1) * lr
        result.updates.append((v, v1))
      }
    case .adam(let lr, let b1, let b2, let eps):
      let m = slot("m", like: p)
      let v = slot("v", like: p)
      let m1 = m * b1 + g * (1 - b1)
      let v1 = v * b2 + square(g) * (1 - b2)
      let lrT = lr * sqrt(1 - pow(constant(b2, p.dtype), t1!)) / (1 - pow(constant(b1, p.dtype), t1!))
      step = lrT * m1 / (sqrt(v1) + eps)
      result.updates += [(m, m1), (v, v1)]
    case .rmsprop(let lr, let decay, let denominator):
      let ms = slot("mean_square", like: p)
      let ms1 = ms * decay + square(g) * (1 - decay)
      switch denominator {
      case .plusEpsilon(let eps): step = g * lr / (sqrt(ms1) + eps)
      case .floored(let maxScaling):
        step = g * lr / sqrt(maximum(ms1, fill(like: ms1, 1 / (maxScaling * maxScaling))))
      }
      result.updates.append((ms, ms1))
    case .gravesRMSprop(let lr, let decay, let momentum, let eps):
      let n = slot("mean_square", like: p)
      let gbar = slot("mean_grad", like: p)
      let delta = slot("delta", like: p)
      let n1 = n * decay + square(g) * (1 - decay)
      let gbar1 = gbar * decay + g * (1 - decay)
      let delta1 = delta * momentum - g * lr / sqrt(n1 - square(gbar1) + eps)
      result.updates += [(n, n1), (gbar, gbar1), (delta, delta1)]
      step = neg(delta1)
      newValue = p + delta1
    case .adagrad(let lr, let eps):
      let ssq = slot("ssq", like: p)
      let ssq1 = ssq + square(g)
      step = g * lr / (sqrt(ssq1) + eps)
      result.updates.append((ssq, ssq1))
    case .adadelta(let decay, let eps):
      let msg = slot("mean_square_grad", like: p)
      let msd = slot("mean_square_delta", like: p)
      let msg1 = msg * decay + square(g) * (1 - decay)
      step = sqrt(msd + eps) / sqrt(msg1 + eps) * g
      result.updates += [(msg, msg1), (msd, msd * decay + square(step) * (1 - decay))]
    case .scale(let lr):
      step = g * lr
    }
    result.steps.append(step)
    result.updates.append((p, newValue ?? p - step))
  }
  return result
}
