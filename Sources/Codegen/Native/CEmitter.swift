import Graph
import SketchRuntime

/// Emits the C of a compiled function: `int sk_main(void** B, const int64_t* P, sk_parallel_fn par,
/// int64_t threads)` (`par` runs a task across the worker threads; see `CWorkerPool`).
///
/// `B[k]` is buffer k (every node of the graph and of every scan body; see ``NativeLayout``), `P` the
/// sizes (``ShapePlan``). Leaves (inputs, constants, shared variables) arrive filled; every other node
/// is computed in order; scan nodes become C loops over their bodies. Returns 0, or nonzero when a
/// run-time check fails (the caller reruns the interpreter for the precise message).
struct CEmitter {
  let layout: NativeLayout
  /// Slices read in place by their consumers (never computed; see ``sliceViews(_:)``).
  let views: [Int: SliceView]
  /// Loop results written straight into a concatenation (its buffer and their index in it), and the
  /// concatenations so filled (see ``concatDestinations(_:)``).
  let concatParts: [Int: (concat: Int, index: Int)]
  let filledConcats: Set<Int>
  /// Whether each node call is timed (`SKETCH_PROFILE`; see ``NativeProfile``).
  let profile: Bool
  /// The constant slots of every loop body: values that do not change while the loop runs (a product
  /// with one as its B operand keeps it packed across the steps: ``CGemmKernel``).
  let loopConstants: Set<Int>

  /// Loop results written over a sequence of their loop (``Aliasing/overSequence``): the result's
  /// buffer → the sequence operand's.
  let overSequence: [Int: Int]
  /// Products accumulated in place over their C operand (``InPlaceWrite/gemm(node:)``).
  let inPlaceProducts: Set<Int>
  /// Slices a loop kernel reads at the elements it writes (``InPlaceWrite/kernel(node:reads:)``): the
  /// slice → the output buffer it reads from instead.
  let inPlaceReads: [Int: Int]

  init(layout: NativeLayout, profile: Bool = false) {
    self.layout = layout
    self.profile = profile
    (views, concatParts, filledConcats) = Self.aliasing(layout)
    var over: [Int: Int] = [:]
    var products = Set<Int>()
    var reads: [Int: Int] = [:]
    for (g, graph) in layout.graphs.enumerated() {
      for (te, o) in layout.aliasing[g].overSequence {
        over[layout.id(g, te)] = layout.id(g, o.sequence)
        guard case .scan(let spec) = graph.nodes[graph.nodes[te].inputs[0]].op else { continue }
        let body = layout.bodyOf[ObjectIdentifier(spec)]!
        switch o.how {
        case .gemm(let node): products.insert(layout.id(body, node))
        case .kernel(_, let r): for (v, part) in r { reads[layout.id(body, v)] = layout.id(body, part) }
        case .afterStep, .afterReads: break
        }
      }
    }
    (overSequence, inPlaceProducts, inPlaceReads) = (over, products, reads)
    var constants = Set<Int>()
    for (g, graph) in layout.graphs.enumerated() {
      guard let spec = layout.specs[g] else { continue }
      constants.formUnion(spec.bodyRoles(of: graph.inputs.map { layout.id(g, $0) }).constants)
    }
    loopConstants = constants
  }

  static func ctype(_ d: DType) -> String { d.cName }

  /// Buffers that never need storage of their own: slice views, reshapes (which point at their
  /// input's buffer) and loop results written into a concatenation.
  var unallocated: Set<Int> {
    var ids = Set(views.keys).union(concatParts.keys).union(overSequence.keys)
    for (g, graph) in layout.graphs.enumerated() {
      for (i, node) in graph.nodes.enumerated() where node.op.isSameBytes { ids.insert(layout.id(g, i)) }
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
  func emit() throws -> String { try emit(parts: 1)[0] }

  /// The source in up to `parts` translation units that the C compiler can build side by side (one
  /// core each): every unit has the prelude; each top-level node's function, with the functions of
  /// its scan bodies, goes to one unit (the lightest so far, biggest first, deterministically); the
  /// first unit has `sk_main`. Across units the top-level node functions are hidden, not static.
  func emit(parts requested: Int) throws -> [String] {
    var main = CWriter()
    var units: [Unit] = []
    try emitGraph(0, into: &main, units: &units)
    let parts = profile ? 1 : Swift.max(1, Swift.min(requested, units.count))
    var assigned = Array(repeating: [Int](), count: parts)
    var load = Array(repeating: 0, count: parts)
    let size = units.map { u in u.text.utf8.count + u.helpers.reduce(0) { $0 + $1.text.utf8.count } }
    for u in units.indices.sorted(by: { (size[$0], $1) > (size[$1], $0) }) {
      let k = load.indices.min { (load[$0], $0) < (load[$1], $1) }!
      assigned[k].append(u)
      load[k] += size[u]
    }
    return (0..<parts).map { k in
      var out = CWriter()
      out.raw(CPrelude.text)
      out.raw("\n")
      if profile { out.raw(CPrelude.profiler(nodes: layout.bufferCount)) }
      let mine = Set(assigned[k])
      // Node functions are static in a single unit; across units sk_main calls them, so they are hidden.
      out.line(parts > 1 ? "#define SK_NODE __attribute__((visibility(\"hidden\")))" : "#define SK_NODE static")
      if k == 0 {
        // sk_main calls the top-level node functions of the other units.
        for u in units.indices where !mine.contains(u) {
          out.line("SK_NODE int sk_node_\(units[u].id)(void** B, const int64_t* P);")
        }
      }
      var helpers = CWriter()
      for u in units.indices where mine.contains(u) { for (n, t) in units[u].helpers { helpers.helper(name: n, t) } }
      for (_, t) in helpers.helpers { out.raw(t) }
      for u in units.indices where mine.contains(u) { out.raw(units[u].text) }
      if k == 0 {
        out.raw(bufferTable())
        out.line("double sk_err[3] = {0, 0, 0};")
        out.line("const double* sk_error(void) { return sk_err; }")
        out.line("sk_parallel_fn sk_par_impl = 0;")
        out.line("int64_t sk_threads = 1;")
        out.raw(CGemmKernel.definitions)
        out.block("int sk_main(void** B, const int64_t* P, sk_parallel_fn par, int64_t threads)") { w in
          w.line("sk_par_impl = par; sk_threads = threads;")
          w.line("int rc = 0; (void)rc;")
          w.raw(main.text)
          w.line("return 0;")
        }
      }
      return out.text
    }
  }

  /// Calls of every non-leaf node of the outer graph into `w`; each node's functions (with its scan
  /// bodies') as one unit.
  /// A top-level node's functions (with its scan bodies') and the loop helpers they use.
  typealias Unit = (id: Int, helpers: [(name: String, text: String)], text: String)

  func emitGraph(_ g: Int, into w: inout CWriter, units: inout [Unit]) throws {
    var functions = CWriter()
    var collected: [Unit]? = []
    try emitGraph(g, into: &w, functions: &functions, units: &collected)
    units = collected!
  }

  /// Text that cannot end a C comment or continue it onto the next line (user names go into comments).
  static func commentSafe(_ s: String) -> String {
    s.replacingOccurrences(of: "*/", with: "* /").replacingOccurrences(of: "\n", with: " ")
      .replacingOccurrences(of: "\\", with: "/")
  }

  /// A comment naming every buffer: its graph (0: the function; others: scan bodies), the node's
  /// debugprint label, op, type and name, so that `B[k]` in the code can be read back to the graph.
  func bufferTable() -> String {
    var w = CWriter()
    w.line("/* Buffers:")
    for (g, graph) in layout.graphs.enumerated() {
      for (i, node) in graph.nodes.enumerated() {
        let name = node.name.map { " '\($0)'" } ?? ""
        w.line(
          Self.commentSafe(
            "   B[\(layout.id(g, i))] graph \(g) [\(FunctionGraph.label(i))] \(node.op.name.prefix(60)) \(node.type)\(name)"
          ))
      }
    }
    w.line("*/")
    return w.text
  }

  /// Calls of every non-leaf node of graph `g`, in order, into `w`; the node functions into
  /// `functions`.
  func emitGraph(_ g: Int, into w: inout CWriter, functions: inout CWriter) throws {
    var none: [Unit]? = nil
    try emitGraph(g, into: &w, functions: &functions, units: &none)
  }

  /// The same; with `units`, each node's functions are moved there as they are done.
  private func emitGraph(
    _ g: Int, into w: inout CWriter, functions: inout CWriter, units: inout [Unit]?
  ) throws {
    let graph = layout.graphs[g]
    for (i, node) in graph.nodes.enumerated() {
      if node.op.isLeaf { continue }
      if case .tupleElement = node.op { continue }
      let id = layout.id(g, i)
      if views[id] != nil { continue }
      let ins = node.inputs.map { layout.id(g, $0) }
      var body = CWriter()
      body.line(
        "/* "
          + Self.commentSafe(
            "\(node.op.name) [\(FunctionGraph.label(i))] \(node.type)\(node.name.map { " '\($0)'" } ?? "")") + " */")
      try emitNode(node, id: id, ins: ins, graph: g, index: i, into: &body, functions: &functions)
      functions.adopt(body)
      functions.line("SK_NODE int sk_node_\(id)(void** B, const int64_t* P) {")
      functions.raw(body.text)
      functions.line("  return 0;")
      functions.line("}")
      if units != nil {
        units!.append((id, functions.helpers, functions.text))
        functions = CWriter()
      }
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
