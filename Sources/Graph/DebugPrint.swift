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

  func headline(_ i: Int, prefix: String = "") -> String {
    let node = nodes[i]
    var s = "\(node.op.name) [id \(prefix)\(FunctionGraph.label(i))] \(node.type)"
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
  public func dot(name: String = "sketch") -> String {
    func esc(_ s: String) -> String {
      s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
    var s = "digraph \"\(esc(name))\" {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n"
    for i in nodes.indices {
      var attrs = "label=\"\(esc(headline(i)))\""
      if inputs.contains(i) { attrs += ", style=filled, fillcolor=\"#d8e8ff\"" }
      if outputs.contains(i) { attrs += ", peripheries=2" }
      if case .shared = nodes[i].op { attrs += ", style=filled, fillcolor=\"#ffe8c8\"" }
      s += "  n\(i) [\(attrs)];\n"
    }
    for (i, n) in nodes.enumerated() {
      for (k, j) in n.inputs.enumerated() { s += "  n\(j) -> n\(i)\(n.inputs.count > 1 ? " [label=\"\(k)\"]" : "");\n" }
    }
    return s + "}\n"
  }
}

/// The pytensor-style tree of the graphs of `outputs`, or the error that stops them from being built.
public func debugprint(_ outputs: Var..., showLocations: Bool = false) -> String {
  do {
    return try FunctionGraph.of(outputs).debugDescription(showLocations: showLocations)
  } catch {
    return "\(error)"
  }
}
