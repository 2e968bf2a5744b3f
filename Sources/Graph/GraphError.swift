/// A mistake in a graph, reported where the user wrote it.
///
/// Building a graph never traps: a node whose operands do not fit records the error and yields a
/// "failed" variable; every node built from it is failed too. `compile`, `grad` and `Var.check()` throw
/// the first error with the op, the operands (names, types, where they were made) and the location.
public struct GraphError: Error, CustomStringConvertible, Sendable {
  /// The op or builder that found the mistake (`add`, `scan`, `grad`, `compile`...).
  public var op: String
  /// What is wrong, in words.
  public var message: String
  /// Where the failing node was made, or the failing call was written, in user code.
  public var location: SourceLocation
  /// The operands, each as ``Var/operandDescription`` gives it: name, op, type, where made.
  public var operands: [String]

  /// An error found by `op` at `location`, with the descriptions of the operands involved.
  public init(op: String, _ message: String, location: SourceLocation, operands: [String] = []) {
    self.op = op
    self.message = message
    self.location = location
    self.operands = operands
  }

  /// `file:line: error in op: message`, then one `  operand ...` line per operand.
  public var description: String {
    var s = "\(location): error in \(op): \(message)"
    for o in operands { s += "\n  operand \(o)" }
    return s
  }
}
