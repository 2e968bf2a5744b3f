import ArgumentParser
import Codegen
import Foundation

/// `sketch dump-graph`: prints the handwriting training graph (or the sampling graph) before and
/// after the optimizer, with the pass statistics and the memory plan.
struct DumpGraph: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dump-graph",
    abstract:
      "Print the training (or sampling) graph of a model, before or after optimization, with pass statistics and the memory plan.",
    discussion: """
      The model flags are those of `sketch train`. --stage all prints the graph after every pass. \
      SKETCH_OPT (or --opt) switches passes off, e.g. --opt=-fusion,-hoist. --summary prints only the \
      statistics (node counts, products per loop step, memory plan, optimizer time).
      """)

  @OptionGroup var model: ModelFlags
  @Option(name: [.customLong("bs"), .customLong("batch-size")], help: "Batch size (for the memory plan).")
  var batchSize = 56
  @Option(name: .customLong("max-length"), help: "Time steps (for the memory plan; sampler steps with --sampling).")
  var maxLength = 600

  @Flag(help: "The sampling graph instead of the training graph.") var sampling = false
  @Option(help: "unoptimized, optimized or all (the graph after every pass).") var stage: DumpStage = .optimized
  @Option(help: "text (debugprint trees) or dot (Graphviz).") var format: DumpFormat = .text
  @Option(help: "Optimizer passes, as SKETCH_OPT: e.g. -fusion,-hoist, or none.") var opt: String?
  @Flag(help: "Only the statistics, not the graphs.") var summary = false

  var modelConfig: ModelConfig { model.config }

  func validate() throws {
    do { try modelConfig.validate() } catch { throw ValidationError("\(error)") }
    if batchSize < 1 || maxLength < 1 { throw ValidationError("--bs and --max-length must be at least 1") }
    if let opt { _ = try OptimizerOptions.parse(opt) }
  }

  func run() throws {
    var options = OptimizerOptions.default
    if let opt { options = try OptimizerOptions.parse(opt) }
    let t0 = Date()
    let (graph, dims) = try model.graph(sampling: sampling, batchSize: batchSize, maxLength: maxLength)
    let built = Date().timeIntervalSince(t0)
    let what =
      sampling
      ? "sampling graph (\(batchSize) x \(maxLength) steps)" : "training graph (batch \(batchSize), \(maxLength) steps)"
    print(
      "# \(modelConfig.depth)x\(modelConfig.dim)\(modelConfig.gru ? " GRU" : " LSTM"), \(modelConfig.mixDim) mixtures: \(what); built in \(String(format: "%.2f", built)) s"
    )
    if summary {
      let (optimized, report) = try optimize(graph, options: options)
      print(report, terminator: "")
      print("before: \(GraphSummary(graph))")
      print("after:  \(GraphSummary(optimized))")
      if options.runs("memory-plan") {
        let plan = try MemoryPlan(optimized, dims: dims)
        print(plan)
        print("largest buffers:\n" + plan.largest(8, in: optimized))
      }
      return
    }
    print(try dump(graph, stage: stage, format: format, dims: dims, options: options), terminator: "")
  }
}

extension DumpStage: ExpressibleByArgument {}
extension DumpFormat: ExpressibleByArgument {}

/// The model flags of `sketch train` that shape the graph (for the dump commands).
struct ModelFlags: ParsableArguments {
  @Option(help: "RNN state dimension.") var dim = 700
  @Option(name: .customLong("mix-dim"), help: "Number of gaussian mixtures.") var mixDim = 20
  @Flag(name: .customLong("GRU"), help: "Use GRU transitions instead of LSTM.") var gru = false
  @Option(name: [.customShort("d"), .customLong("dropout")], help: "Dropout on the recurrent outputs; 0 for none.")
  var dropout = 0.0
  @Option(help: "Number of recurrent layers to be stacked.") var depth = 3
  @Option(help: "Epsilon of the mixture of gaussians.") var epsilon = 1e-5
  @Flag(help: "Send the input to all layers, and use all layers' states for the readout.") var skip = false
  @Flag(help: "Send the input to all layers; use only the top layer's states for the readout.") var top = false
  @Option(
    name: [.customShort("u"), .customLong("uniform")], help: "Uniform initialisation width; 0 for orthogonal/Glorot.")
  var uniform = 0.0

  var config: ModelConfig {
    ModelConfig(
      depth: depth, dim: dim, mixDim: mixDim, gru: gru, skip: skip, top: top, dropout: dropout, epsilon: epsilon,
      uniform: uniform)
  }

  /// The training graph (one Adam step) or the sampling graph of this model, and the sizes of its
  /// symbolic dims for a batch.
  func graph(sampling: Bool, batchSize: Int, maxLength: Int) throws -> (FunctionGraph, [String: Int]) {
    let model = HandwritingModel(config: config, seed: 0)
    if sampling { return (try compileSampler(model: model, steps: maxLength, batch: batchSize).graph, [:]) }
    return (
      try TrainingGraphs(model: model, rule: .adam(learningRate: 1e-3), maxGrad: 10).train.graph,
      ["T1": maxLength + 1, "T": maxLength, "B": batchSize]
    )
  }
}
