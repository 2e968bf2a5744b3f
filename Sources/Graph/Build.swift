import SketchRuntime

/// Makes the node `op(inputs)`, type-checked; a mismatch gives a failed variable carrying the error.
func apply(_ op: Op, _ inputs: [Var], at location: SourceLocation) -> Var {
  if let f = inputs.lazy.compactMap(\.failure).first {
    return Var(
      op: op, inputs: inputs, type: TensorType(inputs[0].dtype, []), location: location,
      failure: f, name: nil)
  }
  switch op.resultType(inputs) {
  case .success(let t):
    return Var(op: op, inputs: inputs, type: t, location: location, failure: nil, name: nil)
  case .failure(let m):
    let err = GraphError(op: op.name, m.message, location: location, operands: inputs.map(\.operandDescription))
    return Var(
      op: op, inputs: inputs, type: TensorType(inputs.first?.dtype ?? .float32, []),
      location: location, failure: err, name: nil)
  }
}

/// A variable that failed for a reason found by a builder before any op was made.
func failed(_ opName: String, _ message: String, _ inputs: [Var], at location: SourceLocation) -> Var {
  if let f = inputs.lazy.compactMap(\.failure).first {
    return Var(op: .stopGradient, inputs: [inputs[0]], type: inputs[0].type, location: location, failure: f, name: nil)
  }
  let err = GraphError(op: opName, message, location: location, operands: inputs.map(\.operandDescription))
  let anchor = inputs.first ?? constant(Tensor(scalar: Float(0)))
  return Var(op: .stopGradient, inputs: [anchor], type: anchor.type, location: location, failure: err, name: nil)
}

func loc(_ file: StaticString, _ line: UInt) -> SourceLocation { SourceLocation(file: file, line: line) }

// MARK: - Leaves

/// A symbolic argument of a compiled function, e.g. `input("x", .float32, ["T", "B", 3])`.
public func input(
  _ name: String, _ dtype: DType, _ shape: [Dim], file: StaticString = #fileID, line: UInt = #line
) -> Var {
  Var(op: .input(name), inputs: [], type: TensorType(dtype, shape), location: loc(file, line), failure: nil, name: name)
}

/// A symbolic argument whose shape mixes sizes held in `Int` variables with named dims:
/// `input("x", .float64, [T + 1, B, 3])`, `input("c", .int32, ["B", U])`.
public func input(
  _ name: String, _ dtype: DType, _ shape: [any DimExpression], file: StaticString = #fileID, line: UInt = #line
) -> Var {
  input(name, dtype, shape.map(\.dim), file: file, line: line)
}

/// A constant tensor.
public func constant(_ value: Tensor, name: String? = nil, file: StaticString = #fileID, line: UInt = #line) -> Var {
  Var(
    op: .constant(value), inputs: [], type: TensorType(value.dtype, value.shape.map { .fixed($0) }),
    location: loc(file, line), failure: nil, name: name)
}

/// A scalar constant of the given dtype.
public func constant(_ value: Double, _ dtype: DType, file: StaticString = #fileID, line: UInt = #line) -> Var {
  constant(Tensor(shape: [], dtype: dtype, values: [value]), file: file, line: line)
}

/// A shared variable (a parameter) initialised to `value`; its Var reads the current value.
public func shared(_ value: Tensor, name: String, file: StaticString = #fileID, line: UInt = #line) -> Var {
  let s = SharedVariable(name: name, value: value)
  return Var(op: .shared(s), inputs: [], type: s.type, location: loc(file, line), failure: nil, name: name)
}

/// The graph node of an existing shared variable (to use one parameter in several graphs).
public func shared(_ s: SharedVariable, file: StaticString = #fileID, line: UInt = #line) -> Var {
  Var(op: .shared(s), inputs: [], type: s.type, location: loc(file, line), failure: nil, name: s.name)
}

/// A scalar constant with `like`'s dtype (how literals in `x * 2` become nodes).
func literal(_ v: Double, like x: Var) -> Var {
  Var(
    op: .constant(Tensor(shape: [], dtype: x.dtype, values: [v])), inputs: [],
    type: TensorType(x.dtype, []), location: SourceLocation.current, failure: nil, name: nil)
}
