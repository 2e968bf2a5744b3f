import SketchRuntime

/// The primitive operations of a Sketch graph. Everything else in the API is built from these.
///
/// Each primitive keeps its facets in one file per module: its type rule, run-time shape rule,
/// gradient and reference kernel in `Graph/Ops/<Name>.swift`, its C lowering in
/// `Codegen/Native/Ops/<Name>.swift` (docs/architecture.md has the table); elementwise functions keep
/// theirs in `UnaryFn.swift` and `BinaryFn.swift`. The dispatching switches are exhaustive, so a
/// forgotten facet is a compile error.
public enum Op: Hashable, Sendable {
  /// A positional argument of a compiled function.
  case input(String)
  /// A constant tensor held in the node; its type is the tensor's dtype and fixed shape.
  case constant(Tensor)
  /// The current value of a shared variable (a parameter); its type is the variable's.
  case shared(SharedVariable)
  /// An elementwise function of one operand; the result has the operand's type.
  case unary(UnaryFn)
  /// An elementwise function of two operands of one dtype, with numpy broadcasting in which only dims
  /// statically 1 stretch; the result's dtype is ``BinaryFn/resultType(_:)``.
  case binary(BinaryFn)
  /// `select(cond, a, b)`: elementwise `cond ? a : b` with broadcasting.
  case select
  /// The operand's values converted to the dtype (float to int truncates toward zero), same shape.
  case cast(DType)
  /// Reduction over `axes` (sorted, non-negative).
  case reduce(ReduceFn, axes: [Int], keepDims: Bool)
  /// The int32 index of the largest element along `axis` (the first on ties), which is removed, or kept
  /// as size 1 with `keepDims`; not for bool operands.
  case argmax(axis: Int, keepDims: Bool)
  /// `op(A) · op(B)` over the last two axes; leading axes are batch axes (equal in both, or B is 2-D).
  case matmul(transposeA: Bool, transposeB: Bool)
  /// The axes permuted: axis i of the result is axis `perm[i]` of the operand.
  case transpose([Int])
  /// Inputs: x, then the reference tensors named by `.dimOf` items.
  case reshape([ShapeItem])
  /// Inputs: x, then the reference tensors named by `.dimOf` items.
  case broadcast([ShapeItem])
  /// A static slice: one ``SliceRange`` per leading axis (later axes are kept whole); index ranges
  /// remove their axis.
  case slice([SliceRange])
  /// Inputs: x, y. The result is x with `x[ranges]` replaced by y (or incremented by y).
  case updateSlice([SliceRange], accumulate: Bool)
  /// The inputs joined along `axis`; they agree in dtype, rank and every other axis.
  case concat(axis: Int)
  /// The part of `g` (input 0) that `concat(axis)` of inputs 1... took from input `1 + index`.
  case concatPart(axis: Int, index: Int)
  /// Inputs: x, indices (int32). Gathers along `axis`; the result's axis is replaced by indices' shape.
  case take(axis: Int)
  /// Inputs: x (for its shape), indices, g. Scatter-adds g into zeros shaped like x (take's gradient).
  case takeGrad(axis: Int)
  /// Inputs: x, indices (int32, x's rank). numpy's take_along_axis: the result has the indices' shape.
  case takeAlong(axis: Int)
  /// Inputs: x (for its shape), indices, g. Scatter-adds g into zeros shaped like x (takeAlong's gradient).
  case takeAlongGrad(axis: Int)
  /// Input: int32 indices. Rows of `depth` zeros with a one at the index (zeros outside 0..<depth).
  case oneHot(depth: Int, dtype: DType)
  /// 0, 1, ..., n-1 where n is a fixed size or `.dimOf` a reference (the op's inputs).
  case arange(DType, ShapeItem)
  /// Running sums of input 0 along `axis`, from the end when `reverse`.
  case cumsum(axis: Int, reverse: Bool)
  /// The element count of input 0 over `axes`, as a scalar of `dtype`.
  case size(axes: [Int], dtype: DType)
  /// Identity whose gradient is zero.
  case stopGradient
  /// Identity whose gradient is clamped to `[low, high]` (Graves' derivative clipping).
  case clipGradient(low: Double, high: Double)
  /// Draws from a counter-based stream; input 0 is the key (int32[2]).
  case random(RandomOp)
  /// Inputs: key (int32[2]), data (int32 scalar). A new key, `Runtime.RandomKey.fold`.
  case foldKey
  /// A loop; see ``ScanSpec`` for its inputs and outputs. A multi-output node.
  case scan(ScanSpec)
  /// Output `k` of a multi-output node (input 0).
  case tupleElement(Int)
  /// A fused elementwise kernel made by the optimizer (see ``Kernel``). Its inputs broadcast to one
  /// iteration shape; with several outputs it is a multi-output node read with `tupleElement`.
  case fused(Kernel)
  /// `alpha · op(A)·op(B) + beta · C` on matrices, made by the optimizer from matmul, bias and scale.
  /// Inputs: A, B, and optionally C (which broadcasts to the result).
  case gemm(Gemm)

  /// The name used in dumps and errors.
  public var name: String {
    switch self {
    case .input(let n): return "input(\(n))"
    case .constant: return "constant"
    case .shared(let s): return "shared(\(s.name))"
    case .unary(let f): return f.name
    case .binary(let f): return f.name
    case .select: return "select"
    case .cast(let t): return "cast{\(t.shortName)}"
    case .reduce(let f, let axes, let keep): return "\(f.name){axes=\(axes)\(keep ? ",keepdims" : "")}"
    case .argmax(let a, let keep): return "argmax{axis=\(a)\(keep ? ",keepdims" : "")}"
    case .matmul(let ta, let tb):
      return "matmul" + (ta || tb ? "{\(ta ? "Aᵀ" : "A")\(tb ? "Bᵀ" : "B")}" : "")
    case .transpose(let p): return "transpose\(p)"
    case .reshape(let s): return "reshape[\(s.map(\.description).joined(separator: ","))]"
    case .broadcast(let s): return "broadcast[\(s.map(\.description).joined(separator: ","))]"
    case .slice(let r): return "slice[\(r.map(\.description).joined(separator: ","))]"
    case .updateSlice(let r, let acc):
      return "\(acc ? "incSlice" : "setSlice")[\(r.map(\.description).joined(separator: ","))]"
    case .concat(let a): return "concat{axis=\(a)}"
    case .concatPart(let a, let i): return "concatPart{axis=\(a),part=\(i)}"
    case .take(let a): return "take{axis=\(a)}"
    case .takeGrad(let a): return "takeGrad{axis=\(a)}"
    case .takeAlong(let a): return "takeAlong{axis=\(a)}"
    case .takeAlongGrad(let a): return "takeAlongGrad{axis=\(a)}"
    case .oneHot(let d, let t): return "oneHot{\(d),\(t.shortName)}"
    case .arange(let t, let n): return "arange{\(t.shortName)}[\(n)]"
    case .cumsum(let a, let r): return "cumsum{axis=\(a)\(r ? ",reverse" : "")}"
    case .size(let axes, let t): return "size{axes=\(axes),\(t.shortName)}"
    case .stopGradient: return "stopGradient"
    case .clipGradient(let lo, let hi): return "clipGradient[\(lo),\(hi)]"
    case .random(let r): return r.name
    case .foldKey: return "foldKey"
    case .scan(let spec): return "scan\(spec.reverse ? "{reverse}" : "")"
    case .tupleElement(let k): return "tupleElement{\(k)}"
    case .fused(let k): return "fused{\(k.canonicalText)}"
    case .gemm(let g): return "gemm{\(g)}"
    }
  }

  /// True for ops that map elements one to one under broadcasting (fusion candidates).
  public var isElementwise: Bool {
    switch self {
    case .unary, .binary, .select, .cast: return true
    case .input, .constant, .shared, .reduce, .argmax, .matmul, .transpose, .reshape, .broadcast, .slice,
      .updateSlice, .concat, .concatPart, .take, .takeGrad, .takeAlong, .takeAlongGrad, .oneHot, .arange, .cumsum, .size, .stopGradient, .clipGradient, .random, .foldKey, .scan,
      .tupleElement, .fused, .gemm:
      return false
    }
  }

  /// True for ops with no inputs whose value comes from outside the graph or the op itself.
  public var isLeaf: Bool {
    switch self {
    case .input, .constant, .shared: return true
    case .unary, .binary, .select, .cast, .reduce, .argmax, .matmul, .transpose, .reshape, .broadcast, .slice,
      .updateSlice, .concat, .concatPart, .take, .takeGrad, .takeAlong, .takeAlongGrad, .oneHot, .arange, .cumsum, .size, .stopGradient, .clipGradient, .random, .foldKey, .scan,
      .tupleElement, .fused, .gemm:
      return false
    }
  }

  /// True for ops whose result is input 0's bytes unchanged (a backend may point at them, no copy).
  public var isSameBytes: Bool {
    switch self {
    case .reshape, .stopGradient, .clipGradient: return true
    case .input, .constant, .shared, .unary, .binary, .select, .cast, .reduce, .argmax, .matmul, .transpose,
      .broadcast, .slice, .updateSlice, .concat, .concatPart, .take, .takeGrad, .takeAlong, .takeAlongGrad, .oneHot, .arange, .cumsum, .size, .random, .foldKey, .scan,
      .tupleElement, .fused, .gemm:
      return false
    }
  }
}

/// One item of a target shape for `reshape`, `broadcast` and random draws.
public enum ShapeItem: Hashable, Sendable, CustomStringConvertible {
  /// A dim of this size (nonnegative).
  case fixed(Int)
  /// The one dim computed from the element count (reshape only), like numpy's -1.
  case infer
  /// The run-time size of axis `axis` of the op's input number `input` (1 = the first reference).
  case dimOf(input: Int, axis: Int)

  /// The item as dumps print it: the size, `-1` for ``infer``, `$input.axis` for ``dimOf(input:axis:)``.
  public var description: String {
    switch self {
    case .fixed(let n): return "\(n)"
    case .infer: return "-1"
    case .dimOf(let i, let a): return "$\(i).\(a)"
    }
  }
}

/// A static slice of one axis, numpy-style: negative bounds count from the end; `index` drops the axis.
public struct SliceRange: Hashable, Sendable, CustomStringConvertible {
  /// The first index (negative counts from the end); nil: the start of the axis (its end for a
  /// negative step). For an index, the index.
  public var start: Int?
  /// The index the range stops before (negative counts from the end); nil: past the end of the axis
  /// (before its start for a negative step).
  public var stop: Int?
  /// The distance between selected indices (nonzero; negative walks the axis backwards); 1 by default.
  public var step: Int
  /// A single index: the axis is removed from the result.
  public var isIndex: Bool

  /// The range `start..<stop` by `step`, numpy's `start:stop:step`; by default the whole axis.
  public init(start: Int? = nil, stop: Int? = nil, step: Int = 1) {
    self.start = start
    self.stop = stop
    self.step = step
    self.isIndex = false
  }

  /// The single index `i` (negative counts from the end): the axis is removed from the result.
  public static func index(_ i: Int) -> SliceRange {
    var r = SliceRange(start: i, stop: nil, step: 1)
    r.isIndex = true
    return r
  }

  /// The whole axis (numpy's `:`).
  public static let all = SliceRange()

  /// Whether the range selects the whole axis unchanged (no bounds, step 1, not an index).
  public var isFull: Bool { start == nil && stop == nil && step == 1 && !isIndex }

  /// The first index and the count this range selects from an axis of size `n`, or nil if out of range.
  public func resolve(_ n: Int) -> (start: Int, count: Int)? {
    if isIndex {
      let i = start! < 0 ? start! + n : start!
      return (0..<n).contains(i) ? (i, 1) : nil
    }
    precondition(step != 0)
    func clamp(_ v: Int?, _ dflt: Int, lo: Int, hi: Int) -> Int {
      guard var v else { return dflt }
      if v < 0 { v += n }
      return Swift.min(Swift.max(v, lo), hi)
    }
    if step > 0 {
      let a = clamp(start, 0, lo: 0, hi: n)
      let b = clamp(stop, n, lo: 0, hi: n)
      return (a, b > a ? (b - a + step - 1) / step : 0)
    } else {
      let a = clamp(start, n - 1, lo: -1, hi: n - 1)
      let b = clamp(stop, -1, lo: -1, hi: n - 1)
      return (a, a > b ? (a - b + (-step) - 1) / (-step) : 0)
    }
  }

  /// The range in numpy's notation: `2`, `:`, `1:3`, `::-1`.
  public var description: String {
    if isIndex { return "\(start!)" }
    if isFull { return ":" }
    let s = start.map(String.init) ?? ""
    let e = stop.map(String.init) ?? ""
    return step == 1 ? "\(s):\(e)" : "\(s):\(e):\(step)"
  }
}

/// Draws of the counter-based RNG (`Runtime.Random`); every draw takes its key as input 0.
public enum RandomOp: Hashable, Sendable {
  /// Uniform in [0, 1); inputs: key, shape references.
  case uniform(DType, [ShapeItem])
  /// Standard normal; inputs: key, shape references.
  case normal(DType, [ShapeItem])
  /// Inputs: key, probabilities p (float). Result: bool, p's shape.
  case bernoulli
  /// Inputs: key, probabilities [..., K] (unnormalised, nonnegative). Result: int32 [...].
  case categorical

  /// The name used in dumps and errors: `uniform{f32}[...]`, `normal{f32}[...]` (dtype and target
  /// shape), `bernoulli`, `categorical`.
  public var name: String {
    switch self {
    case .uniform(let t, let s): return "uniform{\(t.shortName)}[\(s.map(\.description).joined(separator: ","))]"
    case .normal(let t, let s): return "normal{\(t.shortName)}[\(s.map(\.description).joined(separator: ","))]"
    case .bernoulli: return "bernoulli"
    case .categorical: return "categorical"
    }
  }
}

/// Reductions.
public enum ReduceFn: String, Hashable, Sendable, CaseIterable {
  /// The sum of the elements (0 over none).
  case sum
  /// The largest element (NaN if one is NaN).
  case max
  /// The smallest element (NaN if one is NaN).
  case min

  /// The name used in dumps and errors (the raw value: `sum`, `max`, `min`).
  public var name: String { rawValue }
}
