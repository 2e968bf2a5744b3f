import SketchRuntime

// MARK: - Unary functions

func unary(_ f: UnaryFn, _ x: Var, _ l: SourceLocation) -> Var { apply(.unary(f), [x], at: l) }

/// `-x`, elementwise (int32 wraps); bool is a type error.
public func neg(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.neg, x, loc(file, line)) }
/// `|x|`, elementwise (int32 wraps at its minimum); bool is a type error.
public func abs(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.abs, x, loc(file, line)) }
/// -1, 0 or 1 by the sign of each element (0 for NaN), in x's dtype; bool is a type error. The gradient is zero.
public func sign(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.sign, x, loc(file, line)) }
/// The largest integer not above each element (int32 unchanged); bool is a type error. The gradient is zero.
public func floor(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.floor, x, loc(file, line))
}
/// `e^x`, elementwise; x is float32 or float64.
public func exp(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.exp, x, loc(file, line)) }
/// `e^x - 1`, elementwise, accurate near 0; x is float32 or float64.
public func expm1(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.expm1, x, loc(file, line))
}
/// The natural logarithm, elementwise; x is float32 or float64.
public func log(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.log, x, loc(file, line)) }
/// `log(1 + x)`, elementwise, accurate near 0; x is float32 or float64.
public func log1p(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.log1p, x, loc(file, line))
}
/// The square root, elementwise; x is float32 or float64.
public func sqrt(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.sqrt, x, loc(file, line)) }
/// `x * x`, elementwise (int32 wraps); bool is a type error.
public func square(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.square, x, loc(file, line))
}
/// `1 / x`, elementwise; x is float32 or float64.
public func reciprocal(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.reciprocal, x, loc(file, line))
}
/// The hyperbolic tangent, elementwise; x is float32 or float64.
public func tanh(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.tanh, x, loc(file, line)) }
/// The logistic function `1 / (1 + e^-x)`, elementwise; x is float32 or float64.
public func sigmoid(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.sigmoid, x, loc(file, line))
}
/// `log(1 + e^x)`, elementwise, without overflow; x is float32 or float64.
public func softplus(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.softplus, x, loc(file, line))
}
/// The sine of x (radians), elementwise; x is float32 or float64.
public func sin(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.sin, x, loc(file, line)) }
/// The cosine of x (radians), elementwise; x is float32 or float64.
public func cos(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.cos, x, loc(file, line)) }
/// Logical negation, elementwise; x is bool.
public func logicalNot(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.logicalNot, x, loc(file, line))
}

// MARK: - Binary functions

func binary(_ f: BinaryFn, _ a: Var, _ b: Var, _ l: SourceLocation) -> Var { apply(.binary(f), [a, b], at: l) }

/// `a + b`, elementwise with numpy broadcasting (only dims statically 1 stretch); one dtype, not bool (int32 wraps).
public func add(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.add, a, b, loc(file, line))
}
/// `a - b`, elementwise with broadcasting; one dtype, not bool (int32 wraps).
public func sub(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.sub, a, b, loc(file, line))
}
/// `a * b`, elementwise with broadcasting; one dtype, not bool (int32 wraps).
public func mul(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.mul, a, b, loc(file, line))
}
/// `a / b`, elementwise with broadcasting; one dtype, not bool (int32 truncates toward zero, and x / 0 is 0).
public func div(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.div, a, b, loc(file, line))
}
/// `a` to the power `b`, elementwise with broadcasting, as numpy (a negative base with an integral exponent is
/// defined); both float32 or both float64.
public func pow(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.pow, a, b, loc(file, line))
}
/// `a` to the power of the number `b` (a scalar constant of a's dtype), elementwise; a is float32 or float64.
public func pow(_ a: Var, _ b: Double, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.pow, a, literal(b, like: a), loc(file, line))
}
/// The larger of a and b, elementwise with broadcasting (NaN if either is NaN); one dtype, not bool.
public func maximum(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.maximum, a, b, loc(file, line))
}
/// The smaller of a and b, elementwise with broadcasting (NaN if either is NaN); one dtype, not bool.
public func minimum(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.minimum, a, b, loc(file, line))
}
/// `a == b`, elementwise with broadcasting, as bool; one dtype.
public func equal(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.eq, a, b, loc(file, line))
}
/// `a != b`, elementwise with broadcasting, as bool; one dtype.
public func notEqual(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.ne, a, b, loc(file, line))
}
/// `a < b`, elementwise with broadcasting, as bool; one dtype, not bool.
public func less(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.lt, a, b, loc(file, line))
}
/// `a <= b`, elementwise with broadcasting, as bool; one dtype, not bool.
public func lessEqual(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.le, a, b, loc(file, line))
}
/// `a > b`, elementwise with broadcasting, as bool; one dtype, not bool.
public func greater(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.gt, a, b, loc(file, line))
}
/// `a >= b`, elementwise with broadcasting, as bool; one dtype, not bool.
public func greaterEqual(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.ge, a, b, loc(file, line))
}
/// Logical and, elementwise with broadcasting; a and b are bool.
public func logicalAnd(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.and, a, b, loc(file, line))
}
/// Logical or, elementwise with broadcasting; a and b are bool.
public func logicalOr(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.or, a, b, loc(file, line))
}

/// `cond ? a : b` elementwise, with broadcasting (numpy's `where`).
public func select(_ cond: Var, _ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  apply(.select, [cond, a, b], at: loc(file, line))
}

extension Var {
  /// The same values converted to `dtype` (float to int truncates toward zero).
  public func cast(_ dtype: DType, file: StaticString = #fileID, line: UInt = #line) -> Var {
    if dtype == self.dtype { return self }
    return apply(.cast(dtype), [self], at: loc(file, line))
  }
}

// MARK: - Operators (their nodes record SourceLocation.current: operators cannot see their call site)

extension Var {
  /// ``add(_:_:file:line:)``: `a + b` of two variables.
  public static func + (a: Var, b: Var) -> Var { binary(.add, a, b, .current) }
  /// ``sub(_:_:file:line:)``: `a - b` of two variables.
  public static func - (a: Var, b: Var) -> Var { binary(.sub, a, b, .current) }
  /// ``mul(_:_:file:line:)``: `a * b` of two variables.
  public static func * (a: Var, b: Var) -> Var { binary(.mul, a, b, .current) }
  /// ``div(_:_:file:line:)``: `a / b` of two variables.
  public static func / (a: Var, b: Var) -> Var { binary(.div, a, b, .current) }
  /// ``add(_:_:file:line:)`` of `a` and the number `b`, as a scalar constant of a's dtype.
  public static func + (a: Var, b: Double) -> Var { binary(.add, a, literal(b, like: a), .current) }
  /// ``sub(_:_:file:line:)`` of `a` and the number `b`, as a scalar constant of a's dtype.
  public static func - (a: Var, b: Double) -> Var { binary(.sub, a, literal(b, like: a), .current) }
  /// ``mul(_:_:file:line:)`` of `a` and the number `b`, as a scalar constant of a's dtype.
  public static func * (a: Var, b: Double) -> Var { binary(.mul, a, literal(b, like: a), .current) }
  /// ``div(_:_:file:line:)`` of `a` and the number `b`, as a scalar constant of a's dtype.
  public static func / (a: Var, b: Double) -> Var { binary(.div, a, literal(b, like: a), .current) }
  /// ``add(_:_:file:line:)`` of the number `a`, as a scalar constant of b's dtype, and `b`.
  public static func + (a: Double, b: Var) -> Var { binary(.add, literal(a, like: b), b, .current) }
  /// ``sub(_:_:file:line:)`` of the number `a`, as a scalar constant of b's dtype, and `b`.
  public static func - (a: Double, b: Var) -> Var { binary(.sub, literal(a, like: b), b, .current) }
  /// ``mul(_:_:file:line:)`` of the number `a`, as a scalar constant of b's dtype, and `b`.
  public static func * (a: Double, b: Var) -> Var { binary(.mul, literal(a, like: b), b, .current) }
  /// ``div(_:_:file:line:)`` of the number `a`, as a scalar constant of b's dtype, and `b`.
  public static func / (a: Double, b: Var) -> Var { binary(.div, literal(a, like: b), b, .current) }
  /// ``neg(_:file:line:)``: `-a`.
  public static prefix func - (a: Var) -> Var { unary(.neg, a, .current) }
  /// ``logicalNot(_:file:line:)``: `!a`, for bool `a`.
  public static prefix func ! (a: Var) -> Var { unary(.logicalNot, a, .current) }
  /// ``less(_:_:file:line:)``: `a < b` of two variables.
  public static func < (a: Var, b: Var) -> Var { binary(.lt, a, b, .current) }
  /// ``lessEqual(_:_:file:line:)``: `a <= b` of two variables.
  public static func <= (a: Var, b: Var) -> Var { binary(.le, a, b, .current) }
  /// ``greater(_:_:file:line:)``: `a > b` of two variables.
  public static func > (a: Var, b: Var) -> Var { binary(.gt, a, b, .current) }
  /// ``greaterEqual(_:_:file:line:)``: `a >= b` of two variables.
  public static func >= (a: Var, b: Var) -> Var { binary(.ge, a, b, .current) }
  /// ``less(_:_:file:line:)`` of `a` and the number `b`, as a scalar constant of a's dtype.
  public static func < (a: Var, b: Double) -> Var { binary(.lt, a, literal(b, like: a), .current) }
  /// ``lessEqual(_:_:file:line:)`` of `a` and the number `b`, as a scalar constant of a's dtype.
  public static func <= (a: Var, b: Double) -> Var { binary(.le, a, literal(b, like: a), .current) }
  /// ``greater(_:_:file:line:)`` of `a` and the number `b`, as a scalar constant of a's dtype.
  public static func > (a: Var, b: Double) -> Var { binary(.gt, a, literal(b, like: a), .current) }
  /// ``greaterEqual(_:_:file:line:)`` of `a` and the number `b`, as a scalar constant of a's dtype.
  public static func >= (a: Var, b: Double) -> Var { binary(.ge, a, literal(b, like: a), .current) }
}
