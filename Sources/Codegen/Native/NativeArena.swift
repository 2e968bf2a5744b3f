import Graph
import Optimizer
import Runtime

/// The outer graph's intermediate buffers in one arena, placed by liveness with the optimizer's
/// planner (`MemoryPlan.place`): a buffer lives from the node that computes it to the last node that
/// reads it (outputs to the end), with the emitter's aliasing taken into account: reshapes and slice
/// views are read in their operand's buffer (which lives as long as they are read), and a concatenation
/// filled by its parts' loops lives from its first part. Arguments, constants and shared variables
/// are filled into buffers of their own; scan bodies keep theirs (one step's values, reused across
/// steps and calls). Sizes depend on the call, so offsets are planned again when they change.
struct NativeArena {
  /// The planned buffers (outer-graph buffer ids) and their lifetimes in schedule steps.
  let lifetimes: [(id: Int, start: Int, end: Int)]

  init(layout: NativeLayout, emitter: CEmitter) {
    let g = layout.graphs[0]
    let n = g.nodes.count
    var owner = Array(0..<n)
    var start = Array(0..<n)
    for (i, node) in g.nodes.enumerated() {
      // Nodes that read another buffer in place share its owner; outputs of a multi-output node
      // live from that node on.
      if node.op.isSameBytes || emitter.views[i] != nil { owner[i] = owner[node.inputs[0]] }
      if case .tupleElement = node.op { start[i] = node.inputs[0] }
      if let (c, _) = emitter.concatParts[i], c < n { owner[i] = c }
    }
    for (p, (c, _)) in emitter.concatParts where p < n && c < n { start[c] = Swift.min(start[c], start[p]) }
    var end = Array(repeating: -1, count: n)
    for (i, node) in g.nodes.enumerated() {
      for j in node.inputs { end[owner[j]] = Swift.max(end[owner[j]], i) }
    }
    for o in g.outputs { end[owner[o]] = n }
    var lifetimes: [(id: Int, start: Int, end: Int)] = []
    // Leaves have buffers of their own (arguments are filled, shared variables resident).
    for (i, node) in g.nodes.enumerated() where owner[i] == i && !node.op.isLeaf {
      lifetimes.append((i, start[i], Swift.max(end[i], start[i])))
    }
    self.lifetimes = lifetimes
  }

  /// Offsets (aligned) of the planned buffers for these sizes in bytes, and the arena's size.
  func place(_ bytes: [Int]) -> (offsets: [Int], bytes: Int) {
    MemoryPlan.place(zip(lifetimes, bytes).map { l, b in (b, l.start, l.end) })
  }
}
