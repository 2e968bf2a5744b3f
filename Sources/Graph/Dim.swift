import SketchRuntime

/// One dimension of a symbolic tensor type: a known size, or a symbol whose size is known only at run time.
///
/// Symbols with the same name mean the same size: `compile` binds each named symbol of the inputs to one
/// size per call and reports inputs that disagree. The symbol `"?"` is anonymous (an inferred size).
public enum Dim: Hashable, Sendable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral,
  CustomStringConvertible
{
  /// A size known when the graph is built.
  case fixed(Int)
  /// A size known only at run time; every symbol of one name is the same size (`"?"`: anonymous).
  case symbol(String)

  /// The anonymous symbol `"?"`: a size known only at run time, not tied to any other dim.
  public static let unknown = Dim.symbol("?")

  /// The fixed size `value`: `3` in a shape list.
  public init(integerLiteral value: Int) { self = .fixed(value) }
  /// The symbol `value`: `"T"` in a shape list (`"?"` is anonymous).
  public init(stringLiteral value: String) { self = .symbol(value) }

  /// The size of a fixed dim; nil for a symbol.
  public var fixedValue: Int? {
    if case .fixed(let n) = self { return n }
    return nil
  }

  /// True when the size is statically 1: only such dims broadcast (Theano's rule).
  public var isOne: Bool { self == .fixed(1) }

  /// Whether this is the anonymous symbol ``unknown``.
  var isAnonymous: Bool { self == .unknown }

  /// The size, or the symbol's name (`3`, `T`, `?`).
  public var description: String {
    switch self {
    case .fixed(let n): return "\(n)"
    case .symbol(let s): return s
    }
  }
}

/// What a list of dims holds: a ``Dim``, an `Int` (a fixed size) or a `String` (a named dim).
public protocol DimExpression {
  /// The dim this value stands for.
  var dim: Dim { get }
}

extension Dim: DimExpression {
  /// Itself.
  public var dim: Dim { self }
}

/// Int in shape and subscript lists: a fixed dim (``DimExpression``), a target size (``ShapeExpression``)
/// and an index (``SliceExpression``).
extension Int: DimExpression {
  /// A fixed size.
  public var dim: Dim { .fixed(self) }
}

/// String in shape lists: a named dim (``DimExpression``).
extension String: DimExpression {
  /// A named dim (`"?"` is anonymous).
  public var dim: Dim { .symbol(self) }
}

/// The static type of a symbolic tensor: its dtype and its shape.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
  /// The element type.
  public var dtype: DType
  /// One ``Dim`` per axis, outermost first (empty for a scalar).
  public var shape: [Dim]

  /// The type of tensors of `dtype` with the dims `shape`: `TensorType(.float32, ["T", "B", 3])`.
  public init(_ dtype: DType, _ shape: [Dim]) {
    self.dtype = dtype
    self.shape = shape
  }

  /// The number of axes (0 for a scalar).
  public var rank: Int { shape.count }

  /// The element count when every dim is fixed.
  public var fixedCount: Int? {
    var n = 1
    for d in shape {
      guard let k = d.fixedValue else { return nil }
      n *= k
    }
    return n
  }

  /// `f32[T,B,3]`.
  public var description: String {
    "\(dtype.shortName)[\(shape.map(\.description).joined(separator: ","))]"
  }

  /// Whether a concrete shape can be a value of this type (rank and fixed dims agree).
  public func accepts(_ concrete: [Int]) -> Bool {
    guard concrete.count == shape.count else { return false }
    for (d, n) in zip(shape, concrete) {
      if let k = d.fixedValue, k != n { return false }
    }
    return true
  }
}
