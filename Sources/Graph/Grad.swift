import Graph
import SketchRuntime

/// What `grad` does for a variable the cost does not depend on (Theano's `disconnected_inputs`).
public enum DisconnectedPolicy: Sendable {
  /// Throw an error naming the variable (the default: it is usually a bug).
  case raise
  /// Return zeros shaped like the variable.
  case zero
}

/// Reverse-mode symbolic differentiation: the gradients of the scalar `cost` with respect to `wrt`.
///
/// Walks the variables between `wrt` and `cost` backwards, asks each op for its gradient rule, adds
/// up the contributions of every use, and sums over broadcast axes. The results are ordinary variables,
/// so they can be compiled, printed, or differentiated again.
public func grad(
  _ cost: Var, wrt: [Var], disconnected: DisconnectedPolicy = .raise,
  file: StaticString = #fileID, line: UInt = #line
) throws -> [Var] {
  let here = SourceLocation(file: file, line: line)
  try cost.check()
  for w in wrt { try w.check() }
  guard cost.rank == 0, cost.dtype.isFloatingPoint else {
    throw GraphError(
      op: "grad", "the cost must be a float scalar, got \(cost.type); reduce it first (sum or mean)",
      location: here, operands: [cost.operandDescription])
  }
  let grads = backpropagate(seeds: [(cost, constant(1, cost.dtype, file: file, line: line))], wrt: wrt)
  return try zip(wrt, grads).map { w, g in
    if let g {
      try g.check()
      return g
    }
    switch disconnected {
    case .zero: return zerosLike(w, file: file, line: line)
    case .raise:
      throw GraphError(
        op: "grad",
        "the cost does not depend on \(w.operandDescription) (pass disconnected: .zero to get zeros)",
        location: here)
    }
  }
}

/// The gradient of `cost` with respect to one variable.
public func grad(
  _ cost: Var, wrt: Var, disconnected: DisconnectedPolicy = .raise, file: StaticString = #fileID, line: UInt = #line
) throws -> Var {
  try grad(cost, wrt: [wrt], disconnected: disconnected, file: file, line: line)[0]
}
