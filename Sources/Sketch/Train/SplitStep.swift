import Codegen

/// The training step in two compiled functions, for data-parallel training: `gradient` computes a
/// shard's weighted cost and gradients, the caller sums them over the shards (across processes), and
/// `apply` clips the sum by its global norm and applies the step rule, as the fused step does.
///
/// The cost is `sum(mask · nll) / b` over a shard of b lines; weighted by `b / B` (the `weight`
/// input), the shards' costs and gradients add up to those of the global batch of B lines.
struct SplitStep {
  /// (strokes, mask[, chars, cmask], key, weight) → [weight · cost, readout min, readout max,
  /// the gradients of weight · cost..., in parameter order].
  let gradient: Function
  /// (the summed gradients..., in parameter order) → [gradient norm, step norm, parameter norms...,
  /// gradient norms...], applying the step rule's updates (after the outputs, as the fused step).
  let apply: Function
  /// The parameters' element counts, in order (the layout of the flat gradient buffer).
  let sizes: [Int]
  /// The parameters' shapes, in order.
  let shapes: [[Int]]
  /// The step rule's state variables.
  let optimizerState: [Var]

  init(
    cost: Var, readout: Var, inputs: [Var], parameters params: [(name: String, variable: Var)], rule: StepRule,
    maxGrad: Double
  ) throws {
    let weight = input("weight", .float32, [])
    let weighted = cost * weight
    let grads = try grad(weighted, wrt: params.map(\.variable))
    gradient = try compile(inputs: inputs + [weight], outputs: [weighted, min(readout), max(readout)] + grads)
    let summed = params.map { input("gradient/\($0.name)", .float32, $0.variable.type.shape) }
    let (clipped, gradNorm) = clipByGlobalNorm(summed, maxNorm: maxGrad)
    let step = try stepUpdates(rule, parameters: params.map(\.variable), gradients: clipped)
    let norms = params.map { sqrt(sum(square($0.variable))) } + summed.map { sqrt(sum(square($0))) }
    apply = try compile(inputs: summed, outputs: [gradNorm, globalNorm(step.steps)] + norms, updates: step.updates)
    shapes = params.map { $0.variable.sharedVariable!.value.shape }
    sizes = shapes.map { $0.reduce(1, *) }
    optimizerState = step.state
  }
}
