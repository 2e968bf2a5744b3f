/// A mistake in a graph, reported where the user wrote it.
///
/// Building a graph never traps: a node whose operands do not fit records the error and yields a
/// "failed" variable; every node built from it is failed too. `compile`, `grad` and `Var.check()` throw
/// the first error with the op, the operands (names, types, where they were made) and the location.
public struct GraphError: Error, CustomStringConvertible, Sendable {
  public var op: String
  public var message: String
  public var location: SourceLocation
  public var operands: [String]

  public init(op: String, _ message: String, location: SourceLocation, operands: [String] = []) {
    self.op = op
    self.message = message
    self.location = location
    self.operands = operands
  }

  public var description: String {
    var s = "\(location): error in \(op): \(message)"
    for o in operands { s += "\n  operand \(o)" }
    return s
  }
}
