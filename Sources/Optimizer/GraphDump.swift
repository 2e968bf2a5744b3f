import Graph
import SketchRuntime

/// Counts that say what shape a graph is in (for dumps, figures and structural tests).
public struct GraphSummary: Sendable, CustomStringConvertible {
  /// Nodes, counting loop bodies.
  public var nodes = 0
  /// Loops (scan nodes), nested ones included.
  public var loops = 0
  /// Matrix products (matmul and gemm) inside loop bodies, per loop in graph order (nested loops
  /// count in their own entry).
  public var productsPerLoop: [Int] = []
  /// Matrix products outside any loop.
  public var productsOutsideLoops = 0
  /// Fused kernels, loop bodies included.
  public var kernels = 0
  /// Elementwise nodes not in a fused kernel, loop bodies included.
  public var looseElementwise = 0
  /// Carries per loop, in graph order.
  public var carriesPerLoop: [Int] = []

  /// The counts of `g` and of every loop body in it.
  public init(_ g: FunctionGraph) { add(g, inLoop: false) }

  mutating func add(_ g: FunctionGraph, inLoop: Bool) {
    nodes += g.nodes.count
    var own = 0
    var bodies: [FunctionGraph] = []
    for n in g.nodes {
      if isProduct(n.op) {
        own += 1
      } else if case .fused = n.op {
        kernels += 1
      } else if case .scan(let spec) = n.op {
        bodies.append(spec.bodyGraph)
        carriesPerLoop.append(spec.carryNames.count)
      } else if n.op.isElementwise {
        looseElementwise += 1
      }
    }
    if !inLoop { productsOutsideLoops += own }
    for b in bodies {
      loops += 1
      let k = productsPerLoop.count
      productsPerLoop.append(0)
      let before = productsOutsideLoops
      var sub = GraphSummary()
      sub.add(b, inLoop: true)
      productsPerLoop[k] =
        b.nodes.filter {
          if case .matmul = $0.op { return true }
          if case .gemm = $0.op { return true }
          return false
        }.count
      productsPerLoop += sub.productsPerLoop
      carriesPerLoop += sub.carriesPerLoop
      loops += sub.loops
      nodes += sub.nodes
      kernels += sub.kernels
      looseElementwise += sub.looseElementwise
      productsOutsideLoops = before
    }
  }

  init() {}

  /// One line with the counts: nodes, loops, products per step and outside loops, kernels, loose elementwise.
  public var description: String {
    "\(nodes) nodes, \(loops) loops (products per step: \(productsPerLoop.map(String.init).joined(separator: ", "))), "
      + "\(productsOutsideLoops) products outside loops, \(kernels) fused kernels, \(looseElementwise) unfused elementwise"
  }
}

/// Which graphs `dump` prints.
public enum DumpStage: String, Sendable, CaseIterable {
  /// The graph as built.
  case unoptimized
  /// The graph after the optimizer's pipeline.
  case optimized
  /// The graph as built, then after every pass that ran (``OptimizerOptions/keepStages``).
  case all
}

/// How `dump` prints a graph.
public enum DumpFormat: String, Sendable, CaseIterable {
  /// debugprint trees with summaries, then the pass statistics, the summaries before and after and, with
  /// dims, the memory plan.
  case text
  /// Graphviz DOT: one digraph per printed graph, nothing else.
  case dot
}

/// The text `sketch dump-graph` prints, for any graph: the graph before optimization, after it, or
/// after every pass, as debugprint trees or Graphviz DOT; then the pass statistics and, when the
/// sizes of the symbolic dims are given, the memory plan.
public func dump(
  _ graph: FunctionGraph, stage: DumpStage = .optimized, format: DumpFormat = .text, dims: [String: Int]? = nil,
  options: OptimizerOptions = .default
) throws -> String {
  var o = options
  o.keepStages = stage == .all
  let (optimized, report) = o.enabled ? try optimize(graph, options: o) : (graph, OptimizationReport())
  var stages: [(String, FunctionGraph)]
  switch stage {
  case .unoptimized: stages = [("unoptimized", graph)]
  case .optimized: stages = [("optimized", optimized)]
  case .all: stages = report.stages.map { ($0.pass, $0.graph) }
  }
  var out = ""
  for (name, g) in stages {
    switch format {
    case .text:
      out += "== \(name): \(GraphSummary(g)) ==\n"
      out += g.debugDescription() + "\n"
    case .dot:
      out += g.dot(name: name)
    }
  }
  if format == .text {
    out += report.description
    out += "before: \(GraphSummary(graph))\nafter:  \(GraphSummary(optimized))\n"
    if let dims, o.runs("memory-plan") { out += try MemoryPlan(optimized, dims: dims).description + "\n" }
  }
  return out
}
