import Foundation
import Runtime

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

  func headline(_ i: Int) -> String {
    let node = nodes[i]
    var s = "\(node.op.name) [id \(FunctionGraph.label(i))] \(node.type)"
    if let n = node.name { s += " '\(n)'" }
    if case .constant(let t) = node.op, t.count <= 4 {
      s += " {\(t.doubles.map { t.dtype.isFloatingPoint ? "\($0)" : "\(Int($0))" }.joined(separator: ", "))}"
    }
    return s
  }

  /// A tree per output: `op [id X] type 'name'`; a node already shown is printed as `··· [id X]`.
  public func debugDescription(showLocations: Bool = false) -> String {
    var out = ""
    var shown = Set<Int>()
    func walk(_ i: Int, _ prefix: String, _ branch: String) {
      let node = nodes[i]
      if shown.contains(i) && !node.inputs.isEmpty {
        out += "\(prefix)\(branch)··· [id \(FunctionGraph.label(i))] \(node.type)\n"
        return
      }
      shown.insert(i)
      var line = headline(i)
      if showLocations && node.location.isKnown { line += "  (\(node.location))" }
      out += "\(prefix)\(branch)\(line)\n"
      let childPrefix = prefix + (branch.isEmpty ? "" : (branch == " └─ " ? "    " : " │  "))
      for (k, j) in node.inputs.enumerated() {
        walk(j, childPrefix, k == node.inputs.count - 1 ? " └─ " : " ├─ ")
      }
    }
    for (k, o) in outputs.enumerated() {
      if outputs.count > 1 { out += "output \(k):\n" }
      walk(o, "", "")
    }
    return out
  }

  /// Graphviz DOT: one box per node (op, id, type, name), edges labelled with the input position.
  public func dot(name: String = "sketch") -> String {
    func esc(_ s: String) -> String { s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") }
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
