import SketchRuntime

// Integer-indexed ops: per-position gathers, one-hot rows and index vectors.

/// numpy's take_along_axis: `result[..., j, ...] = x[..., indices[..., j, ...], ...]` along `axis`.
///
/// `indices` (int32) has x's rank and agrees with x on every other axis; the result has its shape.
/// `takeAlong(logits, labels[.all, .newAxis], axis: -1)` picks each row's label. Negative indices
/// count from the end; an index still out of range fails the call with its value and the axis size.
/// The gradient scatter-adds into x's shape (repeated indices add up).
public func takeAlong(_ x: Var, _ indices: Var, axis: Int = -1, file: StaticString = #fileID, line: UInt = #line)
  -> Var
{
  apply(.takeAlong(axis: axis < 0 ? axis + x.rank : axis), [x, indices], at: loc(file, line))
}

/// Rows of `depth` zeros with a one at each int32 index: the result is `indices.shape + [depth]`.
///
/// As `jax.nn.one_hot`: an index outside `0..<depth` (a padding label such as -1) gives a row of zeros.
public func oneHot(
  _ indices: Var, depth: Int, dtype: DType = .float32, file: StaticString = #fileID, line: UInt = #line
) -> Var {
  apply(.oneHot(depth: depth, dtype: dtype), [indices], at: loc(file, line))
}

/// The vector 0, 1, ..., n-1 of `dtype`, where n is a size or the run-time size of an axis:
/// `arange(10)`, `arange(.dim(text, 1))` (one position per character, whatever the text's length).
public func arange(
  _ count: any ShapeExpression, dtype: DType = .int32, file: StaticString = #fileID, line: UInt = #line
) -> Var {
  let (items, refs) = lowerShape([count])
  return apply(.arange(dtype, items[0]), refs, at: loc(file, line))
}
