import Graph
import Runtime

/// Emits one C translation unit for a compiled function: `int sk_main(void** B, const int64_t* P)`.
///
/// `B[k]` is buffer k (every node of the graph and of every scan body; see ``NativeLayout``), `P` the
/// sizes (``ShapePlan``). Leaves (inputs, constants, shared variables) arrive filled; every other node
/// is computed in order; scan nodes become C loops over their bodies. Returns 0, or nonzero when a
/// run-time check fails (the caller reruns the interpreter for the precise message).
struct CEmitter {
  let layout: NativeLayout
  /// Slices read in place by their consumers (never computed; see ``sliceViews(_:)``).
  let views: [Int: SliceView]
  /// Whether each node call is timed (`SKETCH_PROFILE`; see ``NativeProfile``).
  let profile: Bool

  init(layout: NativeLayout, profile: Bool = false) {
    self.layout = layout
    self.profile = profile
    views = Self.sliceViews(layout)
  }

  static func ctype(_ d: DType) -> String { d.cName }

  /// Buffers that never need storage of their own: slice views and reshapes (which point at their
  /// input's buffer).
  var unallocated: Set<Int> {
    var ids = Set(views.keys)
    for (g, graph) in layout.graphs.enumerated() {
      for (i, node) in graph.nodes.enumerated() {
        switch node.op {
        case .reshape, .stopGradient: ids.insert(layout.id(g, i))
        default: break
        }
      }
    }
    return ids
  }

  static func suffix(_ d: DType) -> String {
    switch d {
    case .float32: return "f32"
    case .float64: return "f64"
    case .int32: return "i32"
    case .bool: return "u8"
    }
  }

  /// Buffer `id` as a typed pointer (read from B at each use, since scans repoint slot entries).
  func b(_ id: Int) -> String { "((\(Self.ctype(layout.dtype[id]))*)B[\(id)])" }
  /// The element count of buffer `id`.
  func n(_ id: Int) -> String {
    let r = layout.rank[id]
    return r == 0 ? "((int64_t)1)" : "(" + (0..<r).map { dim(id, $0) }.joined(separator: " * ") + ")"
  }
  func dims(_ id: Int) -> String { "(P + \(layout.dimOffset[id]))" }
  func dim(_ id: Int, _ i: Int) -> String { "P[\(layout.dimOffset[id] + i)]" }

  /// The translation unit: the prelude, one static function per node (small functions keep the C
  /// compiler fast), and `sk_main`, which calls the outer graph's nodes in order.
  func emit() throws -> String {
    var functions = CWriter()
    var main = CWriter()
    try emitGraph(0, into: &main, functions: &functions)
    var out = CWriter()
    out.raw(CPrelude.text)
    out.raw("\n")
    if profile { out.raw(CPrelude.profiler(nodes: layout.bufferCount)) }
    out.raw(functions.text)
    try out.block("int sk_main(void** B, const int64_t* P)") { w in
      w.line("int rc = 0; (void)rc;")
      w.raw(main.text)
      w.line("return 0;")
    }
    return out.text
  }

  /// The code of every non-leaf node of graph `g`, in order.
  /// Calls of every non-leaf node of graph `g`, in order, into `w`; the node functions into `functions`.
  func emitGraph(_ g: Int, into w: inout CWriter, functions: inout CWriter) throws {
    let graph = layout.graphs[g]
    for (i, node) in graph.nodes.enumerated() {
      switch node.op {
      case .input, .constant, .shared, .tupleElement: continue
      default: break
      }
      let id = layout.id(g, i)
      if views[id] != nil { continue }
      let ins = node.inputs.map { layout.id(g, $0) }
      var body = CWriter()
      body.line("/* \(node.op.name) [\(FunctionGraph.label(i))] \(node.type)\(node.name.map { " '\($0)'" } ?? "") */")
      try emitNode(node, id: id, ins: ins, graph: g, index: i, into: &body, functions: &functions)
      functions.raw(body.helpers)
      functions.line("static int sk_node_\(id)(void** B, const int64_t* P) {")
      functions.raw(body.text)
      functions.line("  return 0;")
      functions.line("}")
      if profile {
        w.line("  if ((rc = sk_timed(\(id), sk_node_\(id), B, P))) return rc;")
      } else {
        w.line("  if ((rc = sk_node_\(id)(B, P))) return rc;")
      }
    }
  }
}

/// The C translation unit the native backend generates for `graph` (for `sketch dump-c`).
public func generatedC(for graph: FunctionGraph) throws -> String {
  try CEmitter(layout: try NativeLayout(graph)).emit()
}
