/// A small, strict XML reader for the files Sketch imports (IAM-OnDB lineStrokes, SVG drawings).
///
/// It builds a tree of elements with attributes (text content is kept only as a flag), understands the
/// XML declaration, comments, processing instructions, a DOCTYPE without an internal subset, CDATA and
/// the predefined and numeric entities, and rejects anything malformed with the line number. The byte
/// encoding is UTF-8, or ISO-8859-1 when the declaration says so (IAM-OnDB's files do). Elements
/// nested deeper than ``StrokeLimits/xmlDepth`` are refused, so that neither the reader nor the code
/// that walks the tree can overflow the stack.
struct MarkupElement {
  var name: String
  var attributes: [(name: String, value: String)]
  var children: [MarkupElement]
  /// The 1-based line of the element's start tag.
  var line: Int

  func attribute(_ name: String) -> String? {
    attributes.first { $0.name == name }?.value
  }

  /// Every descendant element (depth first, document order) named `name`, this element included.
  func descendants(named name: String) -> [MarkupElement] {
    var found: [MarkupElement] = []
    func visit(_ element: MarkupElement) {
      if element.name == name { found.append(element) }
      for child in element.children { visit(child) }
    }
    visit(self)
    return found
  }

  /// The name without a namespace prefix (`svg:path` is `path`).
  var localName: Substring {
    if let colon = name.lastIndex(of: ":") { return name[name.index(after: colon)...] }
    return name[...]
  }
}

/// A malformed XML document: the line and what is wrong.
struct XMLSyntaxError: Error, CustomStringConvertible {
  var line: Int
  var message: String
  var description: String { "line \(line): \(message)" }
}

struct MarkupParser {
  private let bytes: [UInt8]
  private var position = 0
  private var line = 1
  private var latin1 = false
  /// Elements open around the current position.
  private var depth = 0

  /// Parses a whole document and returns its root element.
  static func parse(_ bytes: [UInt8]) throws -> MarkupElement {
    var parser = MarkupParser(bytes: bytes)
    return try parser.document()
  }

  private init(bytes: [UInt8]) {
    self.bytes = bytes
    // A UTF-8 byte order mark is skipped.
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
  }

  // MARK: Document structure

  private mutating func document() throws -> MarkupElement {
    if bytes.isEmpty || bytes.allSatisfy({ isSpace($0) }) { throw fail("the file is empty") }
    if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) {
      throw fail("UTF-16 files are not supported; save it as UTF-8")
    }
    try prolog()
    guard position < bytes.count, bytes[position] == UInt8(ascii: "<") else {
      throw fail(position < bytes.count ? "text before the root element" : "no root element")
    }
    let root = try element()
    try miscellany()
    if position < bytes.count {
      throw fail(peek("<") ? "a second root element after the first one" : "text after the root element")
    }
    return root
  }

  /// Declaration, comments, processing instructions and a DOCTYPE before the root element.
  private mutating func prolog() throws {
    skipSpace()
    if peek("<?xml") {
      let start = position
      try skipPast("?>", what: "XML declaration")
      let declaration = String(decoding: bytes[start..<position], as: UTF8.self).lowercased()
      latin1 =
        declaration.contains("iso-8859-1") || declaration.contains("latin1")
        || declaration.contains("latin-1")
    }
    while true {
      try miscellany()
      if peek("<!DOCTYPE") {
        try skipDoctype()
      } else {
        return
      }
    }
  }

  /// Skips white space, comments and processing instructions.
  private mutating func miscellany() throws {
    while true {
      skipSpace()
      if peek("<!--") {
        try skipPast("-->", what: "comment")
      } else if peek("<?") {
        try skipPast("?>", what: "processing instruction")
      } else {
        return
      }
    }
  }

  private mutating func skipDoctype() throws {
    var depth = 0
    while position < bytes.count {
      let c = bytes[position]
      advance()
      if c == UInt8(ascii: "[") { depth += 1 }
      if c == UInt8(ascii: "]") { depth -= 1 }
      if c == UInt8(ascii: ">") && depth <= 0 { return }
    }
    throw fail("the DOCTYPE is not closed")
  }

  private mutating func element() throws -> MarkupElement {
    let startLine = line
    try expect("<")
    let name = try self.name("element name")
    depth += 1
    defer { depth -= 1 }
    guard depth <= StrokeLimits.xmlDepth else {
      throw fail(
        "<\(name)> is nested \(depth) elements deep, more than the \(StrokeLimits.xmlDepth) this reader accepts")
    }
    var attributes: [(name: String, value: String)] = []
    while true {
      let hadSpace = skipSpace()
      guard position < bytes.count else { throw fail("the tag <\(name)> (line \(startLine)) is not closed") }
      if peek("/>") {
        advance(2)
        return MarkupElement(name: name, attributes: attributes, children: [], line: startLine)
      }
      if peek(">") {
        advance()
        break
      }
      guard hadSpace else { throw fail("expected white space, '>' or '/>' in the tag <\(name)>") }
      let attributeName = try self.name("attribute name")
      skipSpace()
      guard peek("=") else { throw fail("the attribute '\(attributeName)' of <\(name)> has no value") }
      advance()
      skipSpace()
      let value = try quoted(attributeName, of: name)
      if attributes.contains(where: { $0.name == attributeName }) {
        throw fail("the attribute '\(attributeName)' appears twice in <\(name)>")
      }
      attributes.append((attributeName, value))
    }
    var children: [MarkupElement] = []
    while true {
      guard position < bytes.count else {
        throw fail("the element <\(name)> opened on line \(startLine) is never closed (is the file cut short?)")
      }
      let c = bytes[position]
      if c != UInt8(ascii: "<") {
        if c == UInt8(ascii: "&") { _ = try entity() } else { advance() }
        continue
      }
      if peek("</") {
        advance(2)
        let closing = try self.name("closing tag name")
        skipSpace()
        try expect(">")
        guard closing == name else {
          throw fail("</\(closing)> closes <\(name)> opened on line \(startLine)")
        }
        return MarkupElement(name: name, attributes: attributes, children: children, line: startLine)
      }
      if peek("<!--") {
        try skipPast("-->", what: "comment")
      } else if peek("<![CDATA[") {
        try skipPast("]]>", what: "CDATA section")
      } else if peek("<?") {
        try skipPast("?>", what: "processing instruction")
      } else if peek("<!") {
        throw fail("unexpected '<!' inside <\(name)>")
      } else {
        children.append(try element())
      }
    }
  }

  // MARK: Tokens

  private mutating func name(_ what: String) throws -> String {
    let start = position
    while position < bytes.count {
      let c = bytes[position]
      let ok =
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
        || c == UInt8(ascii: ":") || c >= 0x80
        || (position > start && ((c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")))
      if !ok { break }
      position += 1
    }
    guard position > start else {
      if position >= bytes.count { throw fail("the file ends in the middle of a tag (is it cut short?)") }
      let found = position < bytes.count ? "'\(Character(Unicode.Scalar(bytes[position])))'" : "the end of the file"
      throw fail("expected an \(what), found \(found)")
    }
    return String(decoding: bytes[start..<position], as: UTF8.self)
  }

  private mutating func quoted(_ attribute: String, of element: String) throws -> String {
    guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'")
    else { throw fail("the value of '\(attribute)' in <\(element)> is not quoted") }
    let quote = bytes[position]
    advance()
    var value: [UInt8] = []
    while true {
      guard position < bytes.count else {
        throw fail("the value of '\(attribute)' in <\(element)> is not closed")
      }
      let c = bytes[position]
      if c == quote {
        advance()
        break
      }
      if c == UInt8(ascii: "<") { throw fail("'<' inside the value of '\(attribute)' in <\(element)>") }
      if c == UInt8(ascii: "&") {
        value += try entity()
      } else {
        value.append(c)
        advance()
      }
    }
    return decode(value)
  }

  /// Reads `&...;` and returns its UTF-8 bytes.
  private mutating func entity() throws -> [UInt8] {
    let start = position
    advance()
    while position < bytes.count, bytes[position] != UInt8(ascii: ";"), position - start < 12 { position += 1 }
    guard position < bytes.count, bytes[position] == UInt8(ascii: ";") else {
      throw fail("a '&' that does not start an entity (write &amp;)")
    }
    let body = String(decoding: bytes[(start + 1)..<position], as: UTF8.self)
    advance()
    switch body {
    case "lt": return [UInt8(ascii: "<")]
    case "gt": return [UInt8(ascii: ">")]
    case "amp": return [UInt8(ascii: "&")]
    case "quot": return [UInt8(ascii: "\"")]
    case "apos": return [UInt8(ascii: "'")]
    default:
      var code: UInt32?
      if body.hasPrefix("#x") || body.hasPrefix("#X") {
        code = UInt32(body.dropFirst(2), radix: 16)
      } else if body.hasPrefix("#") {
        code = UInt32(body.dropFirst(1))
      }
      guard let code, let scalar = Unicode.Scalar(code) else { throw fail("unknown entity &\(body);") }
      return Array(String(Character(scalar)).utf8)
    }
  }

  // MARK: Helpers

  private func decode(_ raw: [UInt8]) -> String {
    if latin1 { return String(raw.map { Character(Unicode.Scalar($0)) }) }
    if let text = String(validating: raw, as: UTF8.self) { return text }
    return String(raw.map { Character(Unicode.Scalar($0)) })
  }

  private func peek(_ text: StaticString) -> Bool {
    let count = text.utf8CodeUnitCount
    guard position + count <= bytes.count else { return false }
    return text.withUTF8Buffer { expected in
      for i in 0..<count where bytes[position + i] != expected[i] { return false }
      return true
    }
  }

  private mutating func expect(_ text: StaticString) throws {
    guard peek(text) else { throw fail("expected '\(text)'") }
    advance(text.utf8CodeUnitCount)
  }

  private mutating func advance(_ count: Int = 1) {
    for _ in 0..<count where position < bytes.count {
      if bytes[position] == 0x0A { line += 1 }
      position += 1
    }
  }

  @discardableResult
  private mutating func skipSpace() -> Bool {
    let start = position
    while position < bytes.count, isSpace(bytes[position]) { advance() }
    return position > start
  }

  private mutating func skipPast(_ terminator: StaticString, what: String) throws {
    let startLine = line
    while position < bytes.count {
      if peek(terminator) {
        advance(terminator.utf8CodeUnitCount)
        return
      }
      advance()
    }
    throw fail("the \(what) that starts on line \(startLine) is not closed")
  }

  private func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

  private func fail(_ message: String) -> XMLSyntaxError { XMLSyntaxError(line: line, message: message) }
}
