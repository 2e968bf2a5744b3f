/// An error from running a compiled function (bad arguments, shape mismatch at run time).
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
  /// What went wrong, as a sentence for the user.
  public var message: String
  /// An error saying `message`.
  public init(_ message: String) { self.message = message }
  /// The message.
  public var description: String { message }
}
