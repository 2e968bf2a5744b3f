import SketchRuntime

/// One entry of a target shape: a size, `-1` (inferred, reshape only), or the size of another
/// variable's axis at run time, `.dim(x, 0)`. Shape lists take ``ShapeExpression``s, so sizes held in
/// `Int` variables mix with the rest: `reshape(x, [.dim(x, 0), -1, M])`.
public struct ShapeSpec: ShapeExpression, ExpressibleByIntegerLiteral {
  enum Kind {
    case n(Int)
    case infer
    case dim(Var, Int)
  }
  let kind: Kind

  init(_ kind: Kind) { self.kind = kind }
  /// A size, or -1 for the dimension inferred from the element count.
  public init(integerLiteral v: Int) { self.init(v == -1 ? .infer : .n(v)) }
  /// Itself.
  public var shapeSpec: ShapeSpec { self }
}

/// What a shape list holds: an `Int` (a size; -1 is inferred) or a ``ShapeSpec`` (`.dim(x, axis)`).
public protocol ShapeExpression {
  /// The entry this value stands for.
  var shapeSpec: ShapeSpec { get }
}

extension Int: ShapeExpression {
  /// This size (-1: inferred).
  public var shapeSpec: ShapeSpec { ShapeSpec(integerLiteral: self) }
}

extension ShapeExpression where Self == ShapeSpec {
  /// The run-time size of axis `axis` of `x` (negative axes count from the end).
  public static func dim(_ x: Var, _ axis: Int) -> ShapeSpec { ShapeSpec(.dim(x, axis)) }
  /// A fixed size.
  public static func n(_ size: Int) -> ShapeSpec { ShapeSpec(.n(size)) }
  /// The one dimension computed from the element count (numpy's -1).
  public static var infer: ShapeSpec { ShapeSpec(.infer) }
}

/// The items of a shape spec, with the referenced variables as extra op inputs.
func lowerShape(_ spec: [any ShapeExpression]) -> ([ShapeItem], [Var]) {
  var refs: [Var] = []
  let items: [ShapeItem] = spec.map { s in
    switch s.shapeSpec.kind {
    case .n(let k): return .fixed(k)
    case .infer: return .infer
    case .dim(let v, let a):
      let axis = a < 0 ? a + v.rank : a
      if let i = refs.firstIndex(where: { $0 === v }) { return .dimOf(input: i + 1, axis: axis) }
      refs.append(v)
      return .dimOf(input: refs.count, axis: axis)
    }
  }
  return (items, refs)
}

/// The shape spec that reproduces `x`'s shape at run time.
public func shapeOf(_ x: Var) -> [ShapeSpec] {
  x.shape.enumerated().map { i, d in d.fixedValue.map { .n($0) } ?? .dim(x, i) }
}

/// The same elements in a new shape, e.g. `reshape(x, [-1, 3])` or `reshape(y, [.dim(x, 0), 4])`.
public func reshape(_ x: Var, _ shape: [any ShapeExpression], file: StaticString = #fileID, line: UInt = #line) -> Var {
  let (items, refs) = lowerShape(shape)
  return apply(.reshape(items), [x] + refs, at: loc(file, line))
}

/// `x` broadcast to `shape` (numpy's broadcast_to): x's dims of size 1 stretch, leading axes are added.
public func broadcast(_ x: Var, to shape: [any ShapeExpression], file: StaticString = #fileID, line: UInt = #line) -> Var {
  let (items, refs) = lowerShape(shape)
  return apply(.broadcast(items), [x] + refs, at: loc(file, line))
}

/// `x` broadcast to the shape of `y`.
public func broadcast(_ x: Var, like y: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  if x.failure == nil, y.failure == nil, x.type.shape == y.type.shape { return x }
  return broadcast(x, to: shapeOf(y), file: file, line: line)
}

/// A tensor shaped like `x` filled with `value`.
public func fill(like x: Var, _ value: Double, dtype: DType? = nil, file: StaticString = #fileID, line: UInt = #line)
  -> Var
{
  broadcast(constant(value, dtype ?? x.dtype, file: file, line: line), to: shapeOf(x), file: file, line: line)
}

/// Zeros with x's dtype and shape (the run-time sizes of its symbolic dims).
public func zerosLike(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  fill(like: x, 0, file: file, line: line)
}
/// Ones with x's dtype and shape (the run-time sizes of its symbolic dims).
public func onesLike(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  fill(like: x, 1, file: file, line: line)
}

/// Permutes the axes; by default reverses them.
public func transpose(_ x: Var, _ perm: [Int]? = nil, file: StaticString = #fileID, line: UInt = #line) -> Var {
  let p = perm ?? Array((0..<x.rank).reversed())
  if p == Array(0..<x.rank) { return x }
  return apply(.transpose(p), [x], at: loc(file, line))
}

/// One item of a Theano dimshuffle pattern: an input axis, or `"x"` for a new broadcastable axis.
public enum DimshuffleItem: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
  /// The input axis of this number (nonnegative) goes here.
  case axis(Int)
  /// A new axis of size 1 goes here (`"x"` in the pattern).
  case newAxis
  /// The input axis `v`: `1` in a pattern.
  public init(integerLiteral v: Int) { self = .axis(v) }
  /// A new axis: `"x"` in a pattern (any other string traps).
  public init(stringLiteral v: String) {
    precondition(v == "x", "dimshuffle: use an axis number or \"x\"")
    self = .newAxis
  }
}

/// Theano's dimshuffle: reorder axes, insert broadcastable axes (`"x"`), drop axes of size 1.
public func dimshuffle(_ x: Var, _ pattern: [DimshuffleItem], file: StaticString = #fileID, line: UInt = #line) -> Var {
  let l = loc(file, line)
  let kept = pattern.compactMap { if case .axis(let a) = $0 { return a } else { return nil } }
  for a in 0..<x.rank where !kept.contains(a) && !x.shape[a].isOne {
    return failed("dimshuffle", "axis \(a) of \(x.type) is dropped but is not of size 1", [x], at: l)
  }
  guard Set(kept).count == kept.count, kept.allSatisfy({ $0 >= 0 && $0 < x.rank }) else {
    return failed("dimshuffle", "pattern axes \(kept) are not distinct axes of rank \(x.rank)", [x], at: l)
  }
  let order = kept + (0..<x.rank).filter { !kept.contains($0) }
  let t = transpose(x, order, file: file, line: line)
  let spec: [ShapeSpec] = pattern.map { item in
    if case .axis(let a) = item { return x.shape[a].fixedValue.map { .n($0) } ?? .dim(x, a) }
    return .n(1)
  }
  if spec.count == x.rank, pattern.allSatisfy({ if case .axis = $0 { return true } else { return false } }) { return t }
  return reshape(t, spec, file: file, line: line)
}

/// Inserts an axis of size 1 at `axis`.
public func expandDims(_ x: Var, axis: Int, file: StaticString = #fileID, line: UInt = #line) -> Var {
  let a = axis < 0 ? axis + x.rank + 1 : axis
  var spec = shapeOf(x)
  spec.insert(.n(1), at: Swift.max(0, Swift.min(a, spec.count)))
  return reshape(x, spec, file: file, line: line)
}

/// Removes an axis of size 1.
public func squeeze(_ x: Var, axis: Int, file: StaticString = #fileID, line: UInt = #line) -> Var {
  let a = axis < 0 ? axis + x.rank : axis
  guard a >= 0, a < x.rank, x.shape[a].isOne else {
    return failed("squeeze", "axis \(axis) of \(x.type) is not of size 1", [x], at: loc(file, line))
  }
  var spec = shapeOf(x)
  spec.remove(at: a)
  return reshape(x, spec, file: file, line: line)
}

/// Joins tensors along an existing axis.
public func concatenate(_ xs: [Var], axis: Int = 0, file: StaticString = #fileID, line: UInt = #line) -> Var {
  guard let first = xs.first else { return failed("concatenate", "no tensors to join", [], at: loc(file, line)) }
  if xs.count == 1 { return first }
  let a = axis < 0 ? axis + first.rank : axis
  return apply(.concat(axis: a), xs, at: loc(file, line))
}

/// Joins tensors along a new axis.
public func stack(_ xs: [Var], axis: Int = 0, file: StaticString = #fileID, line: UInt = #line) -> Var {
  guard let first = xs.first else { return failed("stack", "no tensors to stack", [], at: loc(file, line)) }
  let a = axis < 0 ? axis + first.rank + 1 : axis
  return concatenate(xs.map { expandDims($0, axis: a, file: file, line: line) }, axis: a, file: file, line: line)
}

/// Gathers slices along `axis` at int32 `indices` (numpy's take; integer-array indexing).
public func take(_ x: Var, _ indices: Var, axis: Int = 0, file: StaticString = #fileID, line: UInt = #line) -> Var {
  apply(.take(axis: axis < 0 ? axis + x.rank : axis), [x, indices], at: loc(file, line))
}

/// Identity whose gradient is clamped to `[low, high]` on the way back (Graves' derivative clipping,
/// Theano's `grad_clip`): `clipGradient(y, -100, 100)` on a network's outputs bounds the derivatives
/// that flow into it, whatever the cost.
public func clipGradient(
  _ x: Var, _ low: Double, _ high: Double, file: StaticString = #fileID, line: UInt = #line
) -> Var {
  apply(.clipGradient(low: low, high: high), [x], at: loc(file, line))
}

/// Identity whose gradient is zero (Theano's `zero_grad`, JAX's `stop_gradient`).
public func stopGradient(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  apply(.stopGradient, [x], at: loc(file, line))
}

// MARK: - Slicing

/// What can index one axis: an Int (drops the axis), a range, a ``SliceRange``, or `.newAxis`.
public protocol SliceExpression {
  /// What this item does to the axes.
  var sliceItem: SliceItem { get }
}

/// One item of a subscript: a range of an existing axis, or a new axis of size 1.
public enum SliceItem: Hashable, Sendable {
  /// Slices (or, for an index, removes) the next axis of the operand.
  case range(SliceRange)
  /// numpy's `np.newaxis`: a new axis of size 1 at this position of the result.
  case insertAxis
}

/// The subscript item `.newAxis`: a new axis of size 1 (numpy's `None` / `np.newaxis`).
public struct NewAxis: SliceExpression, Sendable {
  /// The new axis.
  public var sliceItem: SliceItem { .insertAxis }
}

extension SliceExpression where Self == NewAxis {
  /// A new axis of size 1 at this position: `x[.all, .newAxis]` is `expandDims(x, axis: 1)`.
  public static var newAxis: NewAxis { NewAxis() }
}

extension Int: SliceExpression {
  /// A single index (negative from the end); the axis is dropped.
  public var sliceItem: SliceItem { .range(.index(self)) }
}
extension SliceRange: SliceExpression {
  /// This range.
  public var sliceItem: SliceItem { .range(self) }
}
/// `a..<b` in a subscript (``SliceExpression``).
extension Range<Int>: SliceExpression {
  /// `a..<b`.
  public var sliceItem: SliceItem { .range(SliceRange(start: lowerBound, stop: upperBound)) }
}
/// `a...b` in a subscript (``SliceExpression``).
extension ClosedRange<Int>: SliceExpression {
  /// `a...b` (b = -1 means to the end).
  public var sliceItem: SliceItem {
    .range(SliceRange(start: lowerBound, stop: upperBound == -1 ? nil : upperBound + 1))
  }
}
/// `a...` in a subscript (``SliceExpression``).
extension PartialRangeFrom<Int>: SliceExpression {
  /// `a...`.
  public var sliceItem: SliceItem { .range(SliceRange(start: lowerBound)) }
}
/// `..<b` in a subscript (``SliceExpression``).
extension PartialRangeUpTo<Int>: SliceExpression {
  /// `..<b`.
  public var sliceItem: SliceItem { .range(SliceRange(stop: upperBound)) }
}
/// `...b` in a subscript (``SliceExpression``).
extension PartialRangeThrough<Int>: SliceExpression {
  /// `...b` (b = -1 means to the end).
  public var sliceItem: SliceItem { .range(SliceRange(stop: upperBound == -1 ? nil : upperBound + 1)) }
}

extension Var {
  /// numpy-style static slicing: `x[1..<3]`, `x[.all, 0]`, `x[..<(-1)]`, `x[SliceRange(step: -1)]`,
  /// `x[.newAxis, .all]`.
  public subscript(_ items: any SliceExpression..., file file: StaticString = #fileID, line line: UInt = #line) -> Var {
    let parts = items.map(\.sliceItem)
    var ranges: [SliceRange] = []
    var newAxes: [Int] = []  // positions in the result, increasing
    var axis = 0
    for p in parts {
      switch p {
      case .range(let r):
        ranges.append(r)
        if !r.isIndex { axis += 1 }
      case .insertAxis:
        newAxes.append(axis)
        axis += 1
      }
    }
    var y = slice(self, ranges, file: file, line: line)
    for a in newAxes { y = expandDims(y, axis: a, file: file, line: line) }
    return y
  }
}

/// `x[ranges]` with one ``SliceRange`` per leading axis.
public func slice(_ x: Var, _ ranges: [SliceRange], file: StaticString = #fileID, line: UInt = #line) -> Var {
  if ranges.allSatisfy(\.isFull) { return x }
  return apply(.slice(ranges), [x], at: loc(file, line))
}

/// `x` with `x[ranges]` replaced by `y` (Theano's set_subtensor); y broadcasts to the slice.
public func setSlice(_ x: Var, _ ranges: [SliceRange], _ y: Var, file: StaticString = #fileID, line: UInt = #line)
  -> Var
{
  apply(.updateSlice(ranges, accumulate: false), [x, y], at: loc(file, line))
}

/// `x` with `y` added to `x[ranges]` (Theano's inc_subtensor); y broadcasts to the slice.
public func incSlice(_ x: Var, _ ranges: [SliceRange], _ y: Var, file: StaticString = #fileID, line: UInt = #line)
  -> Var
{
  apply(.updateSlice(ranges, accumulate: true), [x, y], at: loc(file, line))
}

// MARK: - Matmul

/// `op(a) · op(b)` over the last two axes (2-D, or batched with equal leading axes or a 2-D b).
public func matmul(
  _ a: Var, _ b: Var, transposeA: Bool = false, transposeB: Bool = false,
  file: StaticString = #fileID, line: UInt = #line
) -> Var {
  apply(.matmul(transposeA: transposeA, transposeB: transposeB), [a, b], at: loc(file, line))
}

extension Var {
  /// ``matmul(_:_:transposeA:transposeB:file:line:)`` of this variable and `b`, neither transposed.
  public func matmul(_ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
    Graph.matmul(self, b, file: file, line: line)
  }
  /// The transpose of a matrix (all axes reversed).
  public var T: Var { transpose(self) }
  /// ``reshape(_:_:file:line:)`` of this variable.
  public func reshape(_ shape: [any ShapeExpression], file: StaticString = #fileID, line: UInt = #line) -> Var {
    Graph.reshape(self, shape, file: file, line: line)
  }
}

extension SliceExpression where Self == SliceRange {
  /// The whole axis (numpy's `:`), usable as `x[.all, 0]`.
  public static var all: SliceRange { SliceRange() }
}
