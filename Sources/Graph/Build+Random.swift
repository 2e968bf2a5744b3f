import SketchRuntime

/// A constant key for the counter-based RNG (int32[2]: the two 32-bit halves of the seed).
public func randomKey(seed: UInt64, file: StaticString = #fileID, line: UInt = #line) -> Var {
  let words = [
    Int32(bitPattern: UInt32(truncatingIfNeeded: seed)), Int32(bitPattern: UInt32(truncatingIfNeeded: seed >> 32)),
  ]
  return constant(Tensor(shape: [2], words), name: "key\(seed)", file: file, line: line)
}

/// A new key derived from `key` and an int32 scalar (e.g. a step number): keys for (seed, step, draw).
public func foldIn(_ key: Var, _ data: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  apply(.foldKey, [key, data], at: loc(file, line))
}

/// A new key derived from `key` and the number `data` (an int32 constant): `foldIn(key, 7)`.
public func foldIn(_ key: Var, _ data: Int32, file: StaticString = #fileID, line: UInt = #line) -> Var {
  foldIn(key, constant(Tensor(scalar: data), file: file, line: line), file: file, line: line)
}

/// Uniform draws in [low, high).
public func randomUniform(
  _ key: Var, shape: [any ShapeExpression], dtype: DType = .float32, low: Double = 0, high: Double = 1,
  file: StaticString = #fileID, line: UInt = #line
) -> Var {
  let (items, refs) = lowerShape(shape)
  let u = apply(.random(.uniform(dtype, items)), [key] + refs, at: loc(file, line))
  if low == 0 && high == 1 { return u }
  // As docs/random.md specifies: low and high rounded to the dtype, then `low + (high - low) * u` in it.
  return SourceLocation.with(loc(file, line)) {
    let lo = constant(low, dtype, file: file, line: line)
    return lo + (constant(high, dtype, file: file, line: line) - lo) * u
  }
}

/// Normal draws with the given mean and standard deviation.
public func randomNormal(
  _ key: Var, shape: [any ShapeExpression], dtype: DType = .float32, mean: Double = 0, std: Double = 1,
  file: StaticString = #fileID, line: UInt = #line
) -> Var {
  let (items, refs) = lowerShape(shape)
  if (mean == 0 && std == 1) || !dtype.isFloatingPoint {
    return apply(.random(.normal(dtype, items)), [key] + refs, at: loc(file, line))
  }
  // As docs/random.md specifies: `mean + std * z` in Double, rounded once to the dtype.
  let z = apply(.random(.normal(.float64, items)), [key] + refs, at: loc(file, line))
  return SourceLocation.with(loc(file, line)) { (mean + std * z).cast(dtype, file: file, line: line) }
}

/// True with probability p, elementwise (bool, p's shape).
public func bernoulli(_ key: Var, _ p: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  apply(.random(.bernoulli), [key, p], at: loc(file, line))
}

/// One category index per row of `probabilities` [..., K] (int32 [...]); rows need not sum to 1.
public func categorical(_ key: Var, _ probabilities: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  apply(.random(.categorical), [key, probabilities], at: loc(file, line))
}
