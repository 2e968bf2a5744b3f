import Codegen

/// The compiled functions of a training run: one optimizer step, the test cost, and the sampler.
struct TrainingGraphs {
  /// (strokes, mask, key) → [cost, gradient norm, step norm, readout min, readout max,
  /// parameter norms..., gradient norms...], applying the optimizer's updates; for the synthesis
  /// network the inputs are (strokes, mask, chars, cmask, key). For a split step (data-parallel
  /// training) this is the gradient function, `split.gradient`.
  var train: Function { split?.gradient ?? fused! }
  /// The one-function step (nil when the step is split).
  private let fused: Function?
  /// The step in two functions, for data-parallel training (nil for the fused step).
  let split: SplitStep?
  /// (strokes, mask) → [total NLL over valid steps, number of valid steps]; for the synthesis network
  /// (strokes, mask, chars, cmask).
  let test: Function
  /// Names of the parameters, in the order of the norms in `train`'s outputs.
  let parameterNames: [String]
  /// The step rule's state variables (`optimizer/<state>/<parameter name>`), saved with checkpoints.
  let optimizerState: [Var]
  /// Whether the functions read texts (the synthesis network).
  let readsText: Bool

  /// The prediction network's graphs (see ``init(network:rule:maxGrad:)``).
  init(model: HandwritingModel, rule: StepRule, maxGrad: Double) throws {
    try self.init(network: .prediction(model), rule: rule, maxGrad: maxGrad)
  }

  /// The training step clips the gradients by their total norm `maxGrad` (Blocks' StepClipping),
  /// then applies `rule`.
  /// With `split`, the step is two functions (``SplitStep``) so that the gradients can be summed
  /// across processes in between; the fused function is not built then.
  init(network: Network, rule: StepRule, maxGrad: Double, split: Bool = false) throws {
    let x = input("strokes", .float32, ["T1", "B", 3])
    let mask = input("mask", .float32, ["T", "B"])
    let key = input("key", .int32, [2])
    let cost: Var
    let readout: Var
    let texts: [Var]
    switch network {
    case .prediction(let model):
      (cost, _, readout) = model.cost(strokes: x, mask: mask, dropoutKey: model.config.dropout > 0 ? key : nil)
      texts = []
    case .synthesis(let model):
      texts = [input("chars", .int32, ["B", "U"]), input("cmask", .float32, ["B", "U"])]
      let r = model.cost(strokes: x, mask: mask, chars: texts[0], cmask: texts[1])
      (cost, readout) = (r.cost, r.readout)
    }
    let params = network.parameters
    let state: [Var]
    if split {
      let s = try SplitStep(
        cost: cost, readout: readout, inputs: [x, mask] + texts + [key], parameters: params, rule: rule,
        maxGrad: maxGrad)
      (self.split, fused, state) = (s, nil, s.optimizerState)
    } else {
      let grads = try grad(cost, wrt: params.map(\.variable))
      let (clipped, gradNorm) = clipByGlobalNorm(grads, maxNorm: maxGrad)
      let step = try stepUpdates(rule, parameters: params.map(\.variable), gradients: clipped)
      let stepNorm = globalNorm(step.steps)
      let norms = params.map { sqrt(sum(square($0.variable))) } + grads.map { sqrt(sum(square($0))) }
      fused = try compile(
        inputs: [x, mask] + texts + [key], outputs: [cost, gradNorm, stepNorm, min(readout), max(readout)] + norms,
        updates: step.updates)
      (self.split, state) = (nil, step.state)
    }
    // The test graph is built after the training function (so that the latter's graph is as it was).
    let nll: Var
    switch network {
    case .prediction(let model): nll = model.cost(strokes: x, mask: mask).nll
    case .synthesis(let model): nll = model.cost(strokes: x, mask: mask, chars: texts[0], cmask: texts[1]).nll
    }
    test = try compile(inputs: [x, mask] + texts, outputs: [sum(nll * mask), sum(mask)])
    parameterNames = params.map(\.name)
    optimizerState = state
    readsText = !texts.isEmpty
  }

  /// The inputs of a batch for `train` (without the key) and `test`: the texts when the graphs read them.
  func arguments(_ b: StrokeBatch) throws -> [Tensor] {
    guard readsText else { return [b.strokes, b.mask] }
    guard let chars = b.chars, let cmask = b.cmask else {
      throw TrainingError(description: "a synthesis run got a batch without texts (chars and cmask)")
    }
    return [b.strokes, b.mask, chars, cmask]
  }

  /// One optimizer step on batch `b` with the dropout key `key` (the fused step).
  func trainStep(_ b: StrokeBatch, key: Tensor) throws -> [Tensor] {
    guard let fused else { throw TrainingError(description: "internal: trainStep called on a split training step") }
    return try fused.call(try arguments(b) + [key])
  }

  /// The test NLL total and valid-step count of batch `b`.
  func testCost(_ b: StrokeBatch) throws -> [Tensor] { try test.call(try arguments(b)) }
}

/// The compiled sampler: (key int32[2], bias f32[]) → strokes [steps, batch, 3].
func compileSampler(model: HandwritingModel, steps: Int, batch: Int) throws -> Function {
  let key = input("key", .int32, [2])
  let bias = input("bias", .float32, [])
  return try compile(inputs: [key, bias], outputs: [model.sampler(key: key, steps: steps, batch: batch, bias: bias)])
}

/// The compiled synthesis sampler: (chars int32 [B, U], cmask f32 [B, U], noise f32 [S, B, 4], bias
/// f32 [B]) → strokes [S, B, 3] (zero from each row's stop step) and the stop steps int32 [B].
func compileSynthesisSampler(model: SynthesisModel) throws -> Function {
  var m = model
  m.derivativeClipping = false
  let chars = input("chars", .int32, ["B", "U"])
  let cmask = input("cmask", .float32, ["B", "U"])
  let noise = input("noise", .float32, ["S", "B", 4])
  let bias = input("bias", .float32, ["B"])
  let r = m.sampler(chars: chars, cmask: cmask, noise: noise, bias: bias)
  return try compile(inputs: [chars, cmask, noise, bias], outputs: [r.strokes, r.stopStep])
}

/// Sampler noise [S, B, 4] from the host's Philox generator, deterministic per seed: columns 0 and 3
/// uniforms on [0, 1) (the component and the pen), 1 and 2 standard normals.
func synthesisNoise(steps S: Int, batch B: Int, seed: UInt64) -> Tensor {
  let key = RandomKey(seed: seed)
  let u = Random.uniform(key: key.fold(0), shape: [S, B, 2]).array(Float.self)
  let z = Random.normal(key: key.fold(1), shape: [S, B, 2]).array(Float.self)
  var v = [Float](repeating: 0, count: S * B * 4)
  for r in 0..<(S * B) {
    (v[4 * r], v[4 * r + 1], v[4 * r + 2], v[4 * r + 3]) = (u[2 * r], z[2 * r], z[2 * r + 1], u[2 * r + 1])
  }
  return Tensor(shape: [S, B, 4], v)
}
