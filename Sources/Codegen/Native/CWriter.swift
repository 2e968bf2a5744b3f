/// Builds C source line by line with indentation (no string templates with substitution dictionaries).
struct CWriter {
  private(set) var text = ""
  /// File-scope functions a node's code needs (its loops), by name: written once per translation unit
  /// before the node functions (nodes with the same kernel share them).
  private(set) var helpers: [(name: String, text: String)] = []
  private var depth = 0

  mutating func helper(name: String, _ s: String) {
    if !helpers.contains(where: { $0.name == name }) { helpers.append((name, s)) }
  }

  /// Takes over another writer's helpers.
  mutating func adopt(_ other: CWriter) { for (n, t) in other.helpers { helper(name: n, t) } }

  mutating func line(_ s: String) {
    text += String(repeating: "  ", count: depth) + s + "\n"
  }

  /// `header {` ... `}` with the body indented.
  mutating func block(_ header: String, _ body: (inout CWriter) throws -> Void) rethrows {
    line(header + " {")
    depth += 1
    try body(&self)
    depth -= 1
    line("}")
  }

  mutating func raw(_ s: String) { text += s }
}
