extension SourceLocation {
  @TaskLocal static var scoped: SourceLocation? = nil

  /// The location recorded for nodes built without a call site of their own (operators, and the
  /// inner nodes of composite functions such as `logsumexp`).
  public static var current: SourceLocation { scoped ?? .callStack() }

  /// Runs `body` so that every node it builds without a call site records `location`.
  ///
  /// Composite builders use this so their inner nodes point at the user's line; users can wrap a
  /// block of operator arithmetic to get its line into error messages.
  public static func with<R>(_ location: SourceLocation, _ body: () throws -> R) rethrows -> R {
    try $scoped.withValue(location, operation: body)
  }

  /// Like `with`, for rules that build nodes on behalf of another node (gradients).
  static func override<R>(_ location: SourceLocation, _ body: () throws -> R) rethrows -> R {
    try $scoped.withValue(location, operation: body)
  }
}

/// Runs `body` recording the caller's file:line on every node it builds with operators.
public func withSourceLocation<R>(
  file: StaticString = #fileID, line: UInt = #line, _ body: () throws -> R
) rethrows -> R {
  try SourceLocation.$scoped.withValue(SourceLocation(file: file, line: line), operation: body)
}
