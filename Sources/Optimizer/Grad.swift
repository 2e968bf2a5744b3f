import Graph
import Runtime

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
    throw GraphError(op: "grad", "the cost must be a float scalar, got \(cost.type); reduce it first (sum or mean)",
      location: here, operands: [cost.operandDescription])
  }
  let order = topologicalOrder(cost)
  // Which nodes lie on a path from some wrt variable to the cost.
  let targets = Set(wrt.map(ObjectIdentifier.init))
  var onPath = Set<ObjectIdentifier>()
  for v in order {
    let id = ObjectIdentifier(v)
    if targets.contains(id) || v.inputs.contains(where: { onPath.contains(ObjectIdentifier($0)) }) {
      onPath.insert(id)
    }
  }
  var contributions: [ObjectIdentifier: [Var]] = [ObjectIdentifier(cost): [constant(1, cost.dtype, file: file, line: line)]]
  var total: [ObjectIdentifier: Var] = [:]
  for v in order.reversed() {
    let id = ObjectIdentifier(v)
    guard onPath.contains(id), let parts = contributions[id] else { continue }
    let g = SourceLocation.with(v.location) { parts.dropFirst().reduce(parts[0], +) }
    total[id] = g
    // Stop at wrt variables that are leaves; pass through others (a wrt may be an intermediate).
    guard v.dtype.isFloatingPoint, !v.inputs.isEmpty else { continue }
    let local = v.pullback(g)
    for (input, gi) in zip(v.inputs, local) {
      guard let gi, onPath.contains(ObjectIdentifier(input)), input.dtype.isFloatingPoint else { continue }
      contributions[ObjectIdentifier(input), default: []].append(gi)
    }
  }
  return try wrt.map { w in
    if let g = total[ObjectIdentifier(w)] {
      try g.check()
      return g
    }
    switch disconnected {
    case .zero: return zerosLike(w, file: file, line: line)
    case .raise:
      throw GraphError(op: "grad",
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

/// Every variable `root` depends on, inputs before the variables that use them.
public func topologicalOrder(_ root: Var) -> [Var] {
  var order: [Var] = []
  var seen = Set<ObjectIdentifier>()
  var stack: [(Var, Int)] = [(root, 0)]
  seen.insert(ObjectIdentifier(root))
  while let (v, next) = stack.popLast() {
    if next < v.inputs.count {
      stack.append((v, next + 1))
      let child = v.inputs[next]
      if seen.insert(ObjectIdentifier(child)).inserted { stack.append((child, 0)) }
    } else {
      order.append(v)
    }
  }
  return order
}
