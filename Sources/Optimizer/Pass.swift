import Foundation
import Graph
import SketchRuntime

/// One named step of the optimizer pipeline: a function from graph to graph (see ``Pipeline``).
public struct Pass: Sendable {
  /// The pass's name, by which ``OptimizerOptions`` switches it off and statistics list it (`fusion`).
  public let name: String
  /// One line saying what the pass does (printed by `sketch dump-graph`).
  public let summary: String
  let body: @Sendable (FunctionGraph, inout PassContext) throws -> FunctionGraph

  /// A pass called `name`, described by `summary`, whose `body` maps a graph to the optimized graph and
  /// records its rewrites in the context.
  public init(
    _ name: String, _ summary: String,
    _ body: @escaping @Sendable (FunctionGraph, inout PassContext) throws -> FunctionGraph
  ) {
    self.name = name
    self.summary = summary
    self.body = body
  }

  /// A pass that runs `rules` to a fixed point on the graph and, first, on every loop body in it.
  public static func rules(_ name: String, _ summary: String, _ rules: [Rule]) -> Pass {
    Pass(name, summary) { g, ctx in try rewrite(g, rules, &ctx) }
  }

  static func rewrite(_ g: FunctionGraph, _ rules: [Rule], _ ctx: inout PassContext) throws -> FunctionGraph {
    let e = GraphEditor(g)
    try replaceLoopBodies(e) { try rewrite($0, rules, &ctx) }
    if !Rewriter.run(e, rules: rules, limit: ctx.rewriteLimit, hits: &ctx.hits) { ctx.limitReached = true }
    return e.finish()
  }
}

/// What a pass records while it runs.
public struct PassContext: Sendable {
  /// Rewrites per rule name (or transformations per kind, for passes that are not rule sets).
  public var hits: [String: Int] = [:]
  /// The most rewrites one rule set may make on one graph.
  public var rewriteLimit: Int
  /// Set when a rule set stopped at `rewriteLimit` instead of a fixed point.
  public var limitReached = false

  /// A context with no hits yet, whose rule sets make at most `rewriteLimit` rewrites per graph.
  public init(rewriteLimit: Int) { self.rewriteLimit = rewriteLimit }

  /// Adds `n` to the hits of `what` (a rule name or a kind of transformation).
  public mutating func count(_ what: String, _ n: Int = 1) { hits[what, default: 0] += n }
}

/// The statistics of one pass run.
public struct PassStatistics: Sendable, CustomStringConvertible {
  /// The pass's name.
  public var name: String
  /// Nodes of the graph and of all loop bodies in it, before the pass.
  public var nodesBefore: Int
  /// Nodes of the graph and of all loop bodies in it, after the pass (`nodesBefore` when it did not run).
  public var nodesAfter: Int
  /// Rewrites per rule name, sorted by name.
  public var hits: [(rule: String, count: Int)]
  /// The pass's wall-clock time in seconds (0 when it did not run).
  public var seconds: Double
  /// Whether a rule set of the pass stopped at the rewrite limit instead of a fixed point.
  public var limitReached: Bool
  /// False when the pass was switched off (by option or `SKETCH_OPT`).
  public var ran: Bool

  /// One line: `NAME: BEFORE → AFTER nodes, MS ms; RULE ×HITS, ...`, or `NAME: off`.
  public var description: String {
    guard ran else { return "\(name): off" }
    var s = "\(name): \(nodesBefore) → \(nodesAfter) nodes, \(String(format: "%.1f", seconds * 1000)) ms"
    if !hits.isEmpty { s += "; " + hits.map { "\($0.rule) ×\($0.count)" }.joined(separator: ", ") }
    if limitReached { s += " (stopped at the rewrite limit)" }
    return s
  }
}

/// What `optimize` did: per-pass statistics, and the graph after each pass when asked for.
public struct OptimizationReport: Sendable, CustomStringConvertible {
  /// The statistics of every pass in pipeline order, the ones switched off included (`ran` false).
  public var passes: [PassStatistics] = []
  /// (pass name, graph after it), when ``OptimizerOptions/keepStages`` is set.
  public var stages: [(pass: String, graph: FunctionGraph)] = []
  /// The time of the whole pipeline (the memory plan excluded).
  public var seconds: Double = 0

  /// An empty report: no passes, no stages, 0 seconds.
  public init() {}

  /// Total hits of a rule (or transformation) over all passes.
  public func hits(_ rule: String) -> Int {
    passes.flatMap(\.hits).filter { $0.rule == rule }.map(\.count).reduce(0, +)
  }

  /// `optimizer: N passes in MS ms` (N: the passes that ran), then one line per pass
  /// (``PassStatistics/description``).
  public var description: String {
    var s = "optimizer: \(passes.filter(\.ran).count) passes in \(String(format: "%.1f", seconds * 1000)) ms\n"
    for p in passes { s += "  \(p)\n" }
    return s
  }
}

/// The node count that the optimizer's statistics are in.
extension FunctionGraph {
  /// The number of nodes, counting the nodes of every loop body (recursively).
  public var totalNodeCount: Int {
    nodes.count
      + nodes.reduce(0) { n, node in
        if case .scan(let spec) = node.op { return n + spec.bodyGraph.totalNodeCount }
        return n
      }
  }
}

func now() -> Double { Date().timeIntervalSinceReferenceDate }
