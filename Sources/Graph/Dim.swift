import SketchRuntime

/// One dimension of a symbolic tensor type: a known size, or a symbol whose size is known only at run time.
///
/// Symbols with the same name mean the same size: `compile` binds each named symbol of the inputs to one
/// size per call and reports inputs that disagree. The symbol `"?"` is anonymous (an inferred size).
public enum Dim: Hashable, Sendable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral,
  CustomStringConvertible
{
  case fixed(Int)
  case symbol(String)

  public static let unknown = Dim.symbol("?")

  public init(integerLiteral value: Int) { self = .fixed(value) }
  public init(stringLiteral value: String) { self = .symbol(value) }

  public var fixedValue: Int? {
    if case .fixed(let n) = self { return n }
    return nil
  }

  /// True when the size is statically 1: only such dims broadcast (Theano's rule).
  public var isOne: Bool { self == .fixed(1) }

  public var isAnonymous: Bool { self == .unknown }

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

extension Int: DimExpression {
  /// A fixed size.
  public var dim: Dim { .fixed(self) }
}

extension String: DimExpression {
  /// A named dim (`"?"` is anonymous).
  public var dim: Dim { .symbol(self) }
}

/// The static type of a symbolic tensor: its dtype and its shape.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
  public var dtype: DType
  public var shape: [Dim]

  public init(_ dtype: DType, _ shape: [Dim]) {
    self.dtype = dtype
    self.shape = shape
  }

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
