import SketchRuntime

func normalizedAxes(_ axes: [Int]?, rank: Int) -> [Int] {
  (axes ?? Array(0..<rank)).map { $0 < 0 ? $0 + rank : $0 }.sorted()
}

func reduce(_ f: ReduceFn, _ x: Var, _ axes: [Int]?, _ keep: Bool, _ l: SourceLocation) -> Var {
  let ax = normalizedAxes(axes, rank: x.rank)
  if ax.isEmpty { return x }
  return apply(.reduce(f, axes: ax, keepDims: keep), [x], at: l)
}

/// Sum over `axes` (all axes by default).
public func sum(_ x: Var, axes: [Int]? = nil, keepDims: Bool = false, file: StaticString = #fileID, line: UInt = #line)
  -> Var
{
  reduce(.sum, x, axes, keepDims, loc(file, line))
}

/// The largest element over `axes` (all axes by default; negative axes count from the end), which are removed, or
/// kept as size 1 with `keepDims`; NaN if one is NaN. Not for bool.
public func max(_ x: Var, axes: [Int]? = nil, keepDims: Bool = false, file: StaticString = #fileID, line: UInt = #line)
  -> Var
{
  reduce(.max, x, axes, keepDims, loc(file, line))
}

/// The smallest element over `axes` (all axes by default; negative axes count from the end), which are removed, or
/// kept as size 1 with `keepDims`; NaN if one is NaN. Not for bool.
public func min(_ x: Var, axes: [Int]? = nil, keepDims: Bool = false, file: StaticString = #fileID, line: UInt = #line)
  -> Var
{
  reduce(.min, x, axes, keepDims, loc(file, line))
}

/// The number of elements of `x` over `axes`, as a scalar of `dtype` (x's by default).
public func size(_ x: Var, axes: [Int]? = nil, dtype: DType? = nil, file: StaticString = #fileID, line: UInt = #line)
  -> Var
{
  let ax = normalizedAxes(axes, rank: x.rank)
  let d = dtype ?? x.dtype
  if x.failure == nil, let n = TensorType(x.dtype, ax.map { x.shape[$0] }).fixedCount {
    return constant(Double(n), d, file: file, line: line)
  }
  return apply(.size(axes: ax, dtype: d), [x], at: loc(file, line))
}

/// Mean over `axes` (all axes by default).
public func mean(_ x: Var, axes: [Int]? = nil, keepDims: Bool = false, file: StaticString = #fileID, line: UInt = #line)
  -> Var
{
  let l = loc(file, line)
  return SourceLocation.with(l) {
    sum(x, axes: axes, keepDims: keepDims, file: file, line: line) / size(x, axes: axes, file: file, line: line)
  }
}

/// The index of the largest element along `axis` (int32; the first one on ties).
public func argmax(_ x: Var, axis: Int = -1, keepDims: Bool = false, file: StaticString = #fileID, line: UInt = #line)
  -> Var
{
  apply(.argmax(axis: axis < 0 ? axis + x.rank : axis, keepDims: keepDims), [x], at: loc(file, line))
}

/// `log(sum(exp(x)))` over `axes`, computed as `m + log(sum(exp(x - m)))` with `m = max(x)`.
public func logsumexp(
  _ x: Var, axes: [Int]? = nil, keepDims: Bool = false, file: StaticString = #fileID, line: UInt = #line
) -> Var {
  SourceLocation.with(loc(file, line)) {
    let m = stopGradient(max(x, axes: axes, keepDims: true, file: file, line: line), file: file, line: line)
    // An all -inf row has max -inf; shift by 0 there so the result is -inf, not NaN.
    let safe = select(isFiniteMask(m), m, zerosLike(m))
    let s = log(sum(exp(x - safe), axes: axes, keepDims: true, file: file, line: line), file: file, line: line) + safe
    if keepDims { return s }
    return reshape(s, shapeOf(sum(x, axes: axes, file: file, line: line)), file: file, line: line)
  }
}

/// True where x is finite (|x| < inf), as a bool tensor.
func isFiniteMask(_ x: Var) -> Var { abs(x) < Double.infinity }

/// The softmax along `axis`, max-shifted.
public func softmax(_ x: Var, axis: Int = -1, file: StaticString = #fileID, line: UInt = #line) -> Var {
  SourceLocation.with(loc(file, line)) {
    let e = exp(x - stopGradient(max(x, axes: [axis], keepDims: true)))
    return e / sum(e, axes: [axis], keepDims: true)
  }
}

/// `log(softmax(x))` along `axis`, computed as `(x - m) - log(sum(exp(x - m)))` with `m = max(x)`
/// (subtracting the shifted terms keeps float32 exact for large logits).
public func logSoftmax(_ x: Var, axis: Int = -1, file: StaticString = #fileID, line: UInt = #line) -> Var {
  SourceLocation.with(loc(file, line)) {
    let m = stopGradient(max(x, axes: [axis], keepDims: true, file: file, line: line), file: file, line: line)
    let shifted = x - select(isFiniteMask(m), m, zerosLike(m))
    return shifted
      - log(sum(exp(shifted), axes: [axis], keepDims: true, file: file, line: line), file: file, line: line)
  }
}

/// Running sums along `axis`: `y[i] = x[0] + ... + x[i]`, or with `reverse`, `y[i] = x[i] + ... + x[n-1]`.
/// Its gradient is the running sum of the gradient in the other direction.
public func cumsum(_ x: Var, axis: Int, reverse: Bool = false, file: StaticString = #fileID, line: UInt = #line)
  -> Var
{
  apply(.cumsum(axis: axis < 0 ? axis + x.rank : axis, reverse: reverse), [x], at: loc(file, line))
}

/// The cross-entropy of a softmax over the last axis of `logits` against int32 class `labels`:
/// `logsumexp(logits) - logits[label]`, one value per label (the labels have the logits' shape
/// without its last axis).
///
/// Stable for any logits (max-shifted), and no one-hot tensor is made: the label's logit is picked with
/// ``takeAlong(_:_:axis:file:line:)``, whose gradient scatters; the gradient is `softmax - onehot`.
/// A label outside `0..<classes` (negative labels count from the end) fails the call; mask padded
/// positions by multiplying the result, with a valid label there.
public func sparseSoftmaxCrossEntropy(
  logits: Var, labels: Var, file: StaticString = #fileID, line: UInt = #line
) -> Var {
  let at = loc(file, line)
  guard logits.failure == nil, labels.failure == nil else {
    return failed("sparseSoftmaxCrossEntropy", "", [logits, labels], at: at)
  }
  guard logits.rank >= 1, labels.rank == logits.rank - 1 else {
    return failed(
      "sparseSoftmaxCrossEntropy",
      "labels \(labels.type) for logits \(logits.type): the labels have the logits' shape without the class axis",
      [logits, labels], at: at)
  }
  return SourceLocation.with(at) {
    let last = logits.rank - 1
    let picked = takeAlong(logits, expandDims(labels, axis: last, file: file, line: line), axis: last, file: file, line: line)
    return logsumexp(logits, axes: [last], file: file, line: line) - squeeze(picked, axis: last, file: file, line: line)
  }
}

extension Var {
  /// ``sum(_:axes:keepDims:file:line:)`` of this variable.
  public func sum(axes: [Int]? = nil, keepDims: Bool = false, file: StaticString = #fileID, line: UInt = #line) -> Var {
    Graph.sum(self, axes: axes, keepDims: keepDims, file: file, line: line)
  }
  /// ``mean(_:axes:keepDims:file:line:)`` of this variable.
  public func mean(axes: [Int]? = nil, keepDims: Bool = false, file: StaticString = #fileID, line: UInt = #line) -> Var
  {
    Graph.mean(self, axes: axes, keepDims: keepDims, file: file, line: line)
  }
}
