/// Where a symbolic variable was created in the user's code.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
  public var file: String
  public var line: Int

  public init(file: StaticString, line: UInt) {
    self.file = "\(file)"
    self.line = Int(line)
  }

  public init(fileName: String, line: Int) {
    self.file = fileName
    self.line = line
  }

  /// Nodes made by an operator (`+`, `*`...) cannot see their call site in Swift (operators take no
  /// default arguments); they take the location of the innermost ``withSourceLocation`` scope, if any.
  public static let unknown = SourceLocation(fileName: "?", line: 0)

  public var isKnown: Bool { line > 0 }

  public var description: String { isKnown ? "\(file):\(line)" : "(operator; no call site)" }
}
