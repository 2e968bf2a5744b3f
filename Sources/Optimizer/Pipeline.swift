import Graph
import SketchRuntime

/// The optimizer: every pass, in the order it runs. Read this file top to bottom to know what
/// `compile` does to a graph between differentiation and execution.
public enum Pipeline {
  /// The passes, in order. A name may appear twice (a cleanup after later passes); switching a name
  /// off switches off every run of it.
  public static func passes() -> [Pass] {
    [
      // A forward loop and its copies that store values for gradients run as one loop.
      ScanMerge.pass,
      // Canonical forms: no stopGradient left (gradients are built), commutative duplicates merged.
      .rules("canonicalize", "identities of the graph as built; merge commutative duplicates", Canonical.rules),
      .rules("constant-folding", "evaluate nodes whose inputs are all constants", ConstantFolding.rules),
      .rules(
        "simplify", "algebraic identities (x*1, x+0, x-x, --x, exp∘log, transposes, reshapes, sums)", Simplify.rules),
      .rules(
        "stabilize", "numerically stable forms (logsumexp, log-softmax, softplus, cancelled factors)", Stabilize.rules),
      // Loops: drop what nobody reads, then move work out of them.
      LoopPrune.pass,
      // Separate recurrences in one loop (stacked layers) run as consecutive loops, so that a later
      // loop's products of an earlier one's states are products of sequences, which the hoists batch.
      // After scan-merge: the forward loop and its storing copy are split once, as one loop.
      ScanFission.pass,
      HoistInvariants.pass,
      HoistSequences.pass,
      HoistAccumulations.pass,
      HoistOutputs.pass,
      .rules("simplify", "algebraic identities, again after hoisting", Simplify.rules),
      .rules("constant-folding", "evaluate constant nodes, again", ConstantFolding.rules),
      // What the simplified loops no longer read, their forward loops no longer store.
      LoopPrune.pass,
      // Kernels: matrix products with their bias and scale, then elementwise fusion.
      .rules("gemm", "matmul + bias + scale into gemm; transposes into the product's flags", GemmFormation.rules),
      Fusion.pass,
    ]
  }

  /// The distinct pass names, in pipeline order.
  public static var passNames: [String] {
    var seen = Set<String>()
    return passes().map(\.name).filter { seen.insert($0).inserted }
  }
}

/// Runs the pipeline on `graph` and returns the optimized graph with per-pass statistics.
///
/// The result computes the same outputs from the same arguments (within floating-point rounding:
/// rewrites may reassociate, and stabilisation returns finite values where the graph as built
/// overflowed). Loops in the result are rebuilt by the optimizer and are not differentiable.
public func optimize(_ graph: FunctionGraph, options: OptimizerOptions = .default) throws -> (
  graph: FunctionGraph, report: OptimizationReport
) {
  var report = OptimizationReport()
  var g = graph
  let start = now()
  if options.keepStages { report.stages.append(("unoptimized", g)) }
  for pass in Pipeline.passes() {
    let before = g.totalNodeCount
    guard options.runs(pass.name) else {
      report.passes.append(
        PassStatistics(
          name: pass.name, nodesBefore: before, nodesAfter: before, hits: [],
          seconds: 0, limitReached: false, ran: false))
      continue
    }
    var ctx = PassContext(rewriteLimit: options.rewriteLimit)
    let t0 = now()
    g = try pass.body(g, &ctx)
    let seconds = now() - t0
    if options.verify { try Verifier.check(g, after: pass.name) }
    report.passes.append(
      PassStatistics(
        name: pass.name, nodesBefore: before, nodesAfter: g.totalNodeCount,
        hits: ctx.hits.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, seconds: seconds,
        limitReached: ctx.limitReached, ran: true))
    if options.keepStages { report.stages.append((pass.name, g)) }
  }
  report.seconds = now() - start
  return (g, report)
}
