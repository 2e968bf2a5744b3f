/// Builds C source line by line with indentation (no string templates with substitution dictionaries).
struct CWriter {
  private(set) var text = ""
  /// File-scope functions a node's code needs (its loop bodies), written before the node's function.
  private(set) var helpers = ""
  private var depth = 0

  mutating func helper(_ s: String) { helpers += s }

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
