import Foundation
import SketchRuntime

/// Readable dumps of graphs: pytensor-style trees and Graphviz DOT.
extension FunctionGraph {
  /// The id label of node `i` in dumps: A, B, ..., Z, BA, BB, ...
  public static func label(_ i: Int) -> String {
    var n = i
    var s = ""
    repeat {
      s = String(UnicodeScalar(UInt8(65 + n % 26))) + s
      n /= 26
    } while n > 0
    return s
  }

  /// The op of node `i` as dumps print it: like `Op.name`, with the dims a target shape takes from
  /// its reference inputs (`$1.0`: axis 0 of input 1) printed by name where they have one (`B`, or
  /// `x.shape[0]` when the dim is anonymous but the input is named).
  public func opDescription(_ i: Int) -> String {
    let node = nodes[i]
    func items(_ s: [ShapeItem]) -> String {
      s.map { item -> String in
        guard case .dimOf(let k, let a) = item, k < node.inputs.count else { return item.description }
        let ref = nodes[node.inputs[k]]
        guard a < ref.type.rank else { return item.description }
        if case .symbol(let n) = ref.type.shape[a], !ref.type.shape[a].isAnonymous { return n }
        if let n = ref.name { return "\(n).shape[\(a)]" }
        return item.description
      }.joined(separator: ",")
    }
    if case .reshape(let s) = node.op { return "reshape[\(items(s))]" }
    if case .broadcast(let s) = node.op { return "broadcast[\(items(s))]" }
    if case .random(.uniform(let t, let s)) = node.op { return "uniform{\(t.shortName)}[\(items(s))]" }
    if case .random(.normal(let t, let s)) = node.op { return "normal{\(t.shortName)}[\(items(s))]" }
    return node.op.name
  }

  func headline(_ i: Int, prefix: String = "") -> String {
    let node = nodes[i]
    var s = "\(opDescription(i)) [id \(prefix)\(FunctionGraph.label(i))] \(node.type)"
    if let n = node.name { s += " '\(n)'" }
    if case .constant(let t) = node.op, t.count <= 4 {
      s += " {\(t.doubles.map { t.dtype.isFloatingPoint ? "\($0)" : "\(Int($0))" }.joined(separator: ", "))}"
    }
    return s
  }

  /// A tree per output: `op [id X] type 'name'`; a node already shown is printed as `··· [id X]`.
  public func debugDescription(showLocations: Bool = false) -> String {
    var out = tree(prefix: "", showLocations: showLocations)
    // Inner graphs after the outer one (pytensor style), each placeholder linked to the outer node.
    var pending = nodes.indices.filter { if case .scan = nodes[$0].op { return true } else { return false } }
      .map { (self, $0, "") }
    var first = true
    while !pending.isEmpty {
      let (g, i, outerPrefix) = pending.removeFirst()
      guard case .scan(let spec) = g.nodes[i].op else { continue }
      if first { out += "\nInner graphs:\n" }
      first = false
      let me = outerPrefix + FunctionGraph.label(i)
      let body = spec.bodyGraph
      out += "\nscan [id \(me)]\(spec.reverse ? " reverse" : "")\(spec.location.isKnown ? " (\(spec.location))" : "")\n"
      let ins = g.nodes[i].inputs
      let roles = spec.roles(of: ins)
      if let s = roles.steps { out += "  steps ← [id \(outerPrefix)\(FunctionGraph.label(s))]\n" }
      for (kind, names, operands) in [
        ("sequence", spec.sequenceNames, roles.sequences), ("carry", spec.carryNames, roles.carries),
        ("constant", spec.constantNames, roles.constants),
      ] {
        for (n, x) in zip(names, operands) { out += "  \(kind) \(n) ← [id \(outerPrefix)\(FunctionGraph.label(x))]\n" }
      }
      let outNames = spec.carryNames.map { "new carry \($0)" } + spec.outputNames.map { "output \($0)" }
      let pfx = me + "."
      var shown = Set<Int>()
      for (j, o) in body.outputs.enumerated() {
        out += "  → \(j < outNames.count ? outNames[j] : "stored for the gradient"):\n"
        out += body.tree(roots: [o], prefix: pfx, indent: "  ", showLocations: showLocations, shown: &shown)
      }
      pending += body.nodes.indices.filter { if case .scan = body.nodes[$0].op { return true } else { return false } }
        .map { (body, $0, pfx) }
    }
    return out
  }

  func tree(prefix: String, showLocations: Bool) -> String {
    var shown = Set<Int>()
    var out = ""
    for (k, o) in outputs.enumerated() {
      if outputs.count > 1 { out += "output \(k):\n" }
      out += tree(roots: [o], prefix: prefix, indent: "", showLocations: showLocations, shown: &shown)
    }
    return out
  }

  func tree(roots: [Int], prefix lp: String, indent: String, showLocations: Bool, shown: inout Set<Int>) -> String {
    var out = ""
    func walk(_ i: Int, _ prefix: String, _ branch: String) {
      let node = nodes[i]
      if shown.contains(i) && !node.inputs.isEmpty {
        out += "\(indent)\(prefix)\(branch)··· [id \(lp)\(FunctionGraph.label(i))] \(node.type)\n"
        return
      }
      shown.insert(i)
      var line = headline(i, prefix: lp)
      if showLocations && node.location.isKnown { line += "  (\(node.location))" }
      out += "\(indent)\(prefix)\(branch)\(line)\n"
      let childPrefix = prefix + (branch.isEmpty ? "" : (branch == " └─ " ? "    " : " │  "))
      for (k, j) in node.inputs.enumerated() {
        walk(j, childPrefix, k == node.inputs.count - 1 ? " └─ " : " ├─ ")
      }
    }
    for o in roots { walk(o, "", "") }
    return out
  }

  /// Graphviz DOT: one box per node (op, id, type, name), edges labelled with the input position.
  /// Each loop's body is a cluster (`subgraph cluster_…`) drawn beside the loop node, nested loops
  /// inside their body's cluster: dashed edges go from each operand to the placeholder it feeds
  /// (labelled with its role and name) and from each body output to the loop node.
  public func dot(name: String = "sketch") -> String {
    var s = "digraph \"\(FunctionGraph.dotEscape(name))\" {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n"
    s += dotBody(idPrefix: "n", labelPrefix: "", indent: "  ", isTop: true)
    return s + "}\n"
  }

  static func dotEscape(_ s: String) -> String {
    s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
  }

  /// The nodes, edges and loop clusters of this graph; node i is `<idPrefix><i>`.
  private func dotBody(idPrefix p: String, labelPrefix lp: String, indent ind: String, isTop: Bool) -> String {
    let esc = FunctionGraph.dotEscape
    var s = ""
    for i in nodes.indices {
      var attrs = "label=\"\(esc(headline(i, prefix: lp)))\""
      if inputs.contains(i) { attrs += isTop ? ", style=filled, fillcolor=\"#d8e8ff\"" : ", style=dashed" }
      if outputs.contains(i) { attrs += ", peripheries=2" }
      if case .shared = nodes[i].op { attrs += ", style=filled, fillcolor=\"#ffe8c8\"" }
      if case .scan = nodes[i].op { attrs += ", style=filled, fillcolor=\"#e8f4e0\"" }
      s += "\(ind)\(p)\(i) [\(attrs)];\n"
    }
    // A loop's operands are drawn into its cluster, below.
    for (i, n) in nodes.enumerated() where !isTuple(n.op) {
      for (k, j) in n.inputs.enumerated() {
        s += "\(ind)\(p)\(j) -> \(p)\(i)\(n.inputs.count > 1 ? " [label=\"\(k)\"]" : "");\n"
      }
    }
    for (i, n) in nodes.enumerated() {
      guard case .scan(let spec) = n.op else { continue }
      let body = spec.bodyGraph
      let bp = "\(p)\(i)_"
      let me = lp + FunctionGraph.label(i)
      let where_ = spec.location.isKnown ? " (\(spec.location))" : ""
      s += "\(ind)subgraph cluster_\(bp.dropFirst()) {\n"
      s += "\(ind)  label=\"\(esc("scan [id \(me)]\(spec.reverse ? " reverse" : "")\(where_)"))\";\n"
      s += "\(ind)  style=rounded; color=\"#6a9a50\";\n"
      s += body.dotBody(idPrefix: bp, labelPrefix: me + ".", indent: ind + "  ", isTop: false)
      s += "\(ind)}\n"
      // Operands into the placeholders, by role.
      let operands = spec.roles(of: n.inputs)
      let slots = spec.bodyRoles(of: body.inputs)
      var links: [(Int, Int, String)] = []
      if let st = operands.steps { links.append((st, body.inputs[0], "steps")) }
      for (kind, names, outer, inner) in [
        ("sequence", spec.sequenceNames, operands.sequences, slots.sequences),
        ("carry", spec.carryNames, operands.carries, slots.carries),
        ("constant", spec.constantNames, operands.constants, slots.constants),
      ] {
        for (name, (o, b)) in zip(names, zip(outer, inner)) { links.append((o, b, "\(kind) \(name)")) }
      }
      for (o, b, label) in links {
        s += "\(ind)\(p)\(o) -> \(bp)\(b) [style=dashed, label=\"\(esc(label))\"];\n"
      }
      let outNames = spec.carryNames.map { "new carry \($0)" } + spec.outputNames.map { "output \($0)" }
      for (j, o) in body.outputs.enumerated() {
        let label = j < outNames.count ? outNames[j] : "stored"
        s += "\(ind)\(bp)\(o) -> \(p)\(i) [style=dashed, label=\"\(esc(label))\"];\n"
      }
    }
    return s
  }
}

private func isTuple(_ op: Op) -> Bool {
  if case .scan = op { return true }
  return false
}

/// The pytensor-style tree of the graphs of `outputs`, or the error that stops them from being built.
public func debugprint(_ outputs: Var..., showLocations: Bool = false) -> String {
  do {
    return try FunctionGraph.of(outputs).debugDescription(showLocations: showLocations)
  } catch {
    return "\(error)"
  }
}
