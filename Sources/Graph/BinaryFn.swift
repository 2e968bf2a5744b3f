import CSketchScalar
import RealModule
import SketchRuntime

/// Elementwise functions of two arguments (numpy broadcasting): evaluator, derivative, print name.
public enum BinaryFn: String, Hashable, Sendable, CaseIterable {
  /// `a + b` (int32 wraps); not for bool.
  case add
  /// `a - b` (int32 wraps); not for bool.
  case sub
  /// `a * b` (int32 wraps); not for bool.
  case mul
  /// `a / b` (int32 truncates toward zero, and x / 0 is 0); not for bool.
  case div
  /// `a` to the power `b`, as numpy (a negative base with an integral exponent is defined); floats only.
  case pow
  /// The larger of a and b (NaN if either is NaN); not for bool.
  case maximum
  /// The smaller of a and b (NaN if either is NaN); not for bool.
  case minimum
  /// `a < b`, a bool; not for bool operands.
  case lt
  /// `a <= b`, a bool; not for bool operands.
  case le
  /// `a > b`, a bool; not for bool operands.
  case gt
  /// `a >= b`, a bool; not for bool operands.
  case ge
  /// `a == b`, a bool; any dtype.
  case eq
  /// `a != b`, a bool; any dtype.
  case ne
  /// Logical and; bool only.
  case and
  /// Logical or; bool only.
  case or

  /// The name used in dumps, errors and kernel texts (the raw value: `add`, `maximum`, `lt`...).
  public var name: String { rawValue }

  /// Whether the function is a comparison (`lt`, `le`, `gt`, `ge`, `eq`, `ne`), whose result is bool.
  var isComparison: Bool {
    switch self {
    case .lt, .le, .gt, .ge, .eq, .ne: return true
    case .add, .sub, .mul, .div, .pow, .maximum, .minimum, .and, .or: return false
    }
  }

  /// Whether the function is `and` or `or`.
  var isLogical: Bool { self == .and || self == .or }

  /// Whether `f(a, b) == f(b, a)` for all operands: `add`, `mul`, `maximum`, `minimum`, `eq`, `ne`, `and`,
  /// `or`.
  public var isCommutative: Bool {
    switch self {
    case .add, .mul, .maximum, .minimum, .eq, .ne, .and, .or: return true
    case .sub, .div, .pow, .lt, .le, .gt, .ge: return false
    }
  }

  /// The dtype of the result for operands of dtype `t`, or nil if `t` is not accepted.
  public func resultType(_ t: DType) -> DType? {
    switch self {
    case .add, .sub, .mul, .div, .maximum, .minimum: return t == .bool ? nil : t
    case .pow: return t.isFloatingPoint ? t : nil
    case .lt, .le, .gt, .ge: return t == .bool ? nil : .bool
    case .eq, .ne: return .bool
    case .and, .or: return t == .bool ? .bool : nil
    }
  }

  /// The arithmetic functions on floats (comparisons are `compare`).
  @inlinable
  public func apply<T: TensorFloat>(_ a: T, _ b: T) -> T {
    switch self {
    case .add: return a + b
    case .sub: return a - b
    case .mul: return a * b
    case .div: return a / b
    case .pow: return T.kernelPow(a, b)
    // NaN-propagating like numpy's maximum/minimum.
    case .maximum: return a.isNaN || b.isNaN ? .nan : (a >= b ? a : b)
    case .minimum: return a.isNaN || b.isNaN ? .nan : (a <= b ? a : b)
    case .lt, .le, .gt, .ge, .eq, .ne, .and, .or: preconditionFailure("\(name) is not arithmetic")
    }
  }

  /// Integer arithmetic: wrapping like C; division truncates toward zero and x/0 is 0.
  public func apply(_ a: Int32, _ b: Int32) -> Int32 {
    switch self {
    case .add: return a &+ b
    case .sub: return a &- b
    case .mul: return a &* b
    case .div: return sk_idiv(a, b)
    case .maximum: return Swift.max(a, b)
    case .minimum: return Swift.min(a, b)
    case .pow, .lt, .le, .gt, .ge, .eq, .ne, .and, .or: preconditionFailure("\(name) is not int32 arithmetic")
    }
  }

  /// The comparison on two values (the comparisons only; any other function traps).
  @inlinable
  func compare<T: Comparable>(_ a: T, _ b: T) -> Bool {
    switch self {
    case .lt: return a < b
    case .le: return a <= b
    case .gt: return a > b
    case .ge: return a >= b
    case .eq: return a == b
    case .ne: return a != b
    case .add, .sub, .mul, .div, .pow, .maximum, .minimum, .and, .or:
      preconditionFailure("\(name) is not a comparison")
    }
  }

  /// The function on bools: `and`, `or`, `eq` or `ne` (any other function traps).
  func logical(_ a: Bool, _ b: Bool) -> Bool {
    switch self {
    case .and: return a && b
    case .or: return a || b
    case .eq: return a == b
    case .ne: return a != b
    case .add, .sub, .mul, .div, .pow, .maximum, .minimum, .lt, .le, .gt, .ge:
      preconditionFailure("\(name) is not logical")
    }
  }

  /// The C expression of this function of `a` and `b` (expressions of dtype `t`), as the native
  /// backend emits it: the same operations as the evaluators above.
  public func c(_ t: DType, _ a: String, _ b: String) -> String {
    switch self {
    case .lt: return "(uint8_t)(\(a) < \(b))"
    case .le: return "(uint8_t)(\(a) <= \(b))"
    case .gt: return "(uint8_t)(\(a) > \(b))"
    case .ge: return "(uint8_t)(\(a) >= \(b))"
    case .eq: return "(uint8_t)(\(a) == \(b))"
    case .ne: return "(uint8_t)(\(a) != \(b))"
    case .and: return "(uint8_t)(\(a) && \(b))"
    case .or: return "(uint8_t)(\(a) || \(b))"
    case .add, .sub, .mul, .div, .pow, .maximum, .minimum: break
    }
    if t == .int32 {
      switch self {
      case .add: return "(int32_t)((uint32_t)\(a) + (uint32_t)\(b))"
      case .sub: return "(int32_t)((uint32_t)\(a) - (uint32_t)\(b))"
      case .mul: return "(int32_t)((uint32_t)\(a) * (uint32_t)\(b))"
      case .div: return "sk_idiv(\(a), \(b))"
      case .maximum: return "(\(a) > \(b) ? \(a) : \(b))"
      case .minimum: return "(\(a) < \(b) ? \(a) : \(b))"
      case .pow, .lt, .le, .gt, .ge, .eq, .ne, .and, .or: preconditionFailure("\(name) has no int32 kernel")
      }
    }
    switch self {
    case .add: return "(\(a) + \(b))"
    case .sub: return "(\(a) - \(b))"
    case .mul: return "(\(a) * \(b))"
    case .div: return "(\(a) / \(b))"
    case .pow: return t == .float32 ? "sk_powf(\(a), \(b))" : "sk_pow(\(a), \(b))"
    case .maximum: return "((\(a) != \(a) || \(b) != \(b)) ? NAN : (\(a) >= \(b) ? \(a) : \(b)))"
    case .minimum: return "((\(a) != \(a) || \(b) != \(b)) ? NAN : (\(a) <= \(b) ? \(a) : \(b)))"
    case .lt, .le, .gt, .ge, .eq, .ne, .and, .or: preconditionFailure("\(name) is handled above")
    }
  }

  /// A rough cost per element in units of a simple vector operation (see ``UnaryFn/cost``).
  public var cost: Int {
    switch self {
    case .div: return 4
    case .pow: return 20
    case .add, .sub, .mul, .maximum, .minimum, .lt, .le, .gt, .ge, .eq, .ne, .and, .or: return 1
    }
  }

  /// Gradients with respect to a and b before broadcast axes are summed away (nil: none flows).
  func gradient(a: Var, b: Var, y: Var, g: Var) -> (Var?, Var?) {
    switch self {
    case .add: return (g, g)
    case .sub: return (g, -g)
    case .mul: return (g * b, g * a)
    case .div: return (g / b, -(g * y / b))
    case .pow: return (g * b * Graph.pow(a, b - 1), g * y * Graph.log(a))
    case .maximum: return (g * (a >= b).cast(g.dtype), g * (a < b).cast(g.dtype))
    case .minimum: return (g * (a <= b).cast(g.dtype), g * (a > b).cast(g.dtype))
    case .lt, .le, .gt, .ge, .eq, .ne, .and, .or: return (nil, nil)
    }
  }
}
