import SketchRuntime

/// The ops without a computation of their own: the leaves (`input`, `constant`, `shared`), whose
/// values come from outside the graph, `stopGradient` (identity, no gradient) and `tupleElement` (one
/// output of a multi-output node: a loop or a multi-output kernel). In C they are no code: a buffer
/// the program fills before `sk_main`, or an entry that points at another's bytes
/// (`Codegen/Native/CEmitter+Nodes.swift`).
enum LeafRule {
  static func leafType() throws -> TensorType { throw TypeMismatch("leaf ops are not built from inputs") }

  static func stopGradientType(_ t: [TensorType]) throws -> TensorType {
    try arity(t, 1)
    return t[0]
  }

  /// The run-time shape of a leaf: a constant's, a shared variable's declared one; an input has its
  /// argument's (the graph walker knows it).
  static func shape(_ op: Op) throws -> [Int] {
    if case .constant(let t) = op { return t.shape }
    if case .shared(let v) = op { return v.type.shape.map { $0.fixedValue ?? 0 } }
    throw RuntimeError("\(op.name): its shape is its argument's")
  }

  static func evaluate(_ op: Op) throws -> Tensor {
    if case .constant(let t) = op { return t }
    if case .shared(let s) = op { return s.value }
    throw RuntimeError("\(op.name) has no value")
  }
}
