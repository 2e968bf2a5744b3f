/// An error from running a compiled function (bad arguments, shape mismatch at run time).
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
