import Codegen

/// The compiled functions of a training run: one optimizer step, the test cost, and the sampler.
struct TrainingGraphs {
  /// (strokes, mask, key) → [cost, gradient norm, step norm, readout min, readout max,
  /// parameter norms..., gradient norms...], applying the optimizer's updates.
  let train: Function
  /// (strokes, mask) → [total NLL over valid steps, number of valid steps].
  let test: Function
  /// Names of the parameters, in the order of the norms in `train`'s outputs.
  let parameterNames: [String]
  /// The step rule's state variables (`optimizer/<state>/<parameter name>`), saved with checkpoints.
  let optimizerState: [Var]

  /// The training step clips the gradients by their total norm `maxGrad` (Blocks' StepClipping),
  /// then applies `rule`.
  init(model: HandwritingModel, rule: StepRule, maxGrad: Double) throws {
    let x = input("strokes", .float32, ["T1", "B", 3])
    let mask = input("mask", .float32, ["T", "B"])
    let key = input("key", .int32, [2])
    let (cost, _, readout) = model.cost(strokes: x, mask: mask, dropoutKey: model.config.dropout > 0 ? key : nil)
    let params = model.parameters
    let grads = try grad(cost, wrt: params.map(\.variable))
    let (clipped, gradNorm) = clipByGlobalNorm(grads, maxNorm: maxGrad)
    let step = try stepUpdates(rule, parameters: params.map(\.variable), gradients: clipped)
    let stepNorm = globalNorm(step.steps)
    let norms = params.map { sqrt(sum(square($0.variable))) } + grads.map { sqrt(sum(square($0))) }
    train = try compile(
      inputs: [x, mask, key], outputs: [cost, gradNorm, stepNorm, min(readout), max(readout)] + norms,
      updates: step.updates)
    let (_, nll, _) = model.cost(strokes: x, mask: mask)
    test = try compile(inputs: [x, mask], outputs: [sum(nll * mask), sum(mask)])
    parameterNames = params.map(\.name)
    optimizerState = step.state
  }
}

/// The compiled sampler: (key int32[2], bias f32[]) → strokes [steps, batch, 3].
func compileSampler(model: HandwritingModel, steps: Int, batch: Int) throws -> Function {
  let key = input("key", .int32, [2])
  let bias = input("bias", .float32, [])
  return try compile(inputs: [key, bias], outputs: [model.sampler(key: key, steps: steps, batch: batch, bias: bias)])
}
