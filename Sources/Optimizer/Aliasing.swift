import Graph

/// Which values of a graph share a buffer with another: one analysis, used by the native emitter
/// (to read and write in place) and by the memory plan it runs with (``MemoryPlan``).
///
/// - Nodes whose result is their operand's bytes (reshape, stopGradient: ``Op/isSameBytes``) live in
///   their operand's buffer.
/// - A slice whose every consumer is an elementwise loop of the same graph, and that is not a graph
///   output, is never materialized: the loops read its source with its offset and strides (the gate
///   blocks of an LSTM's pre-activation, the parameter blocks of the mixture density).
/// - Elementwise results whose only use is a concatenation along the last axis, when every part of
///   that concatenation is such a result, are written straight into it (the gate gradients of an
///   LSTM's backward step into one [B, 4H] matrix); the concatenation is then not copied and lives
///   from its first part on.
/// - A loop's per-step output may be written over one of the loop's sequences whose buffer dies there
///   (``overSequence``, `Aliasing+Loops.swift`).
public struct Aliasing: Sendable {
  /// Slices read in place: node → (the node it reads, its ranges).
  public var views: [Int: (source: Int, ranges: [SliceRange])] = [:]
  /// Loop results written into a concatenation: node → (the concatenation, the part's index).
  public var concatParts: [Int: (concat: Int, index: Int)] = [:]
  /// The concatenations so filled.
  public var filledConcats = Set<Int>()
  /// Per node, the node that owns the buffer its value is in (itself for most).
  public var owner: [Int] = []
  /// Loop results written over a sequence of their loop: the result's `tupleElement` node → the
  /// sequence operand, its index among the loop's sequences, and how the body writes it.
  public var overSequence: [Int: (sequence: Int, index: Int, how: InPlaceWrite)] = [:]

  /// The aliasing of `graph`'s own nodes (not of its loop bodies).
  public init(_ graph: FunctionGraph) {
    var consumers = Array(repeating: [Int](), count: graph.nodes.count)
    for (j, node) in graph.nodes.enumerated() { for i in node.inputs { consumers[i].append(j) } }
    let outputs = Set(graph.outputs)
    func loop(_ op: Op) -> Bool {
      if case .fused = op { return true }
      return op.isElementwise
    }
    for (j, node) in graph.nodes.enumerated() {
      guard case .slice(let ranges) = node.op, !outputs.contains(j), !consumers[j].isEmpty,
        consumers[j].allSatisfy({ loop(graph.nodes[$0].op) })
      else { continue }
      views[j] = (node.inputs[0], ranges)
    }
    func loopResult(_ j: Int) -> Bool {
      let op = graph.nodes[j].op
      if case .tupleElement = op, case .fused = graph.nodes[graph.nodes[j].inputs[0]].op { return true }
      return op.isElementwise
    }
    for (c, node) in graph.nodes.enumerated() {
      guard case .concat(let axis) = node.op, axis == node.type.rank - 1, axis >= 0, !node.inputs.isEmpty,
        Set(node.inputs).count == node.inputs.count
      else { continue }
      let ok = node.inputs.allSatisfy { p in
        loopResult(p) && consumers[p] == [c] && !outputs.contains(p) && graph.nodes[p].type.rank == node.type.rank
      }
      guard ok else { continue }
      filledConcats.insert(c)
      for (k, p) in node.inputs.enumerated() { concatParts[p] = (c, k) }
    }
    owner = Array(graph.nodes.indices)
    for (i, node) in graph.nodes.enumerated() {
      if node.op.isSameBytes || views[i] != nil { owner[i] = owner[node.inputs[0]] }
      if let (c, _) = concatParts[i] { owner[i] = c }
    }
    findOverSequence(graph)
  }

  /// Whether node `i` has no storage of its own (it reads or writes another node's buffer).
  public func isAlias(_ i: Int) -> Bool { owner[i] != i || views[i] != nil }
}
