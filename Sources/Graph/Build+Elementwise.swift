import SketchRuntime

// MARK: - Unary functions

func unary(_ f: UnaryFn, _ x: Var, _ l: SourceLocation) -> Var { apply(.unary(f), [x], at: l) }

public func neg(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.neg, x, loc(file, line)) }
public func abs(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.abs, x, loc(file, line)) }
public func sign(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.sign, x, loc(file, line)) }
public func floor(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.floor, x, loc(file, line))
}
public func exp(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.exp, x, loc(file, line)) }
public func expm1(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.expm1, x, loc(file, line))
}
public func log(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.log, x, loc(file, line)) }
public func log1p(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.log1p, x, loc(file, line))
}
public func sqrt(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.sqrt, x, loc(file, line)) }
public func square(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.square, x, loc(file, line))
}
public func reciprocal(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.reciprocal, x, loc(file, line))
}
public func tanh(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.tanh, x, loc(file, line)) }
public func sigmoid(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.sigmoid, x, loc(file, line))
}
public func softplus(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.softplus, x, loc(file, line))
}
public func sin(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.sin, x, loc(file, line)) }
public func cos(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var { unary(.cos, x, loc(file, line)) }
public func logicalNot(_ x: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  unary(.logicalNot, x, loc(file, line))
}

// MARK: - Binary functions

func binary(_ f: BinaryFn, _ a: Var, _ b: Var, _ l: SourceLocation) -> Var { apply(.binary(f), [a, b], at: l) }

public func add(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.add, a, b, loc(file, line))
}
public func sub(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.sub, a, b, loc(file, line))
}
public func mul(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.mul, a, b, loc(file, line))
}
public func div(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.div, a, b, loc(file, line))
}
public func pow(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.pow, a, b, loc(file, line))
}
public func pow(_ a: Var, _ b: Double, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.pow, a, literal(b, like: a), loc(file, line))
}
public func maximum(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.maximum, a, b, loc(file, line))
}
public func minimum(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.minimum, a, b, loc(file, line))
}
public func equal(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.eq, a, b, loc(file, line))
}
public func notEqual(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.ne, a, b, loc(file, line))
}
public func less(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.lt, a, b, loc(file, line))
}
public func lessEqual(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.le, a, b, loc(file, line))
}
public func greater(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.gt, a, b, loc(file, line))
}
public func greaterEqual(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.ge, a, b, loc(file, line))
}
public func logicalAnd(_ a: Var, _ b: Var, file: StaticString = #fileID, line: UInt = #line) -> Var {
  binary(.and, a, b, loc(file, line))
}
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
  public static func + (a: Var, b: Var) -> Var { binary(.add, a, b, .current) }
  public static func - (a: Var, b: Var) -> Var { binary(.sub, a, b, .current) }
  public static func * (a: Var, b: Var) -> Var { binary(.mul, a, b, .current) }
  public static func / (a: Var, b: Var) -> Var { binary(.div, a, b, .current) }
  public static func + (a: Var, b: Double) -> Var { binary(.add, a, literal(b, like: a), .current) }
  public static func - (a: Var, b: Double) -> Var { binary(.sub, a, literal(b, like: a), .current) }
  public static func * (a: Var, b: Double) -> Var { binary(.mul, a, literal(b, like: a), .current) }
  public static func / (a: Var, b: Double) -> Var { binary(.div, a, literal(b, like: a), .current) }
  public static func + (a: Double, b: Var) -> Var { binary(.add, literal(a, like: b), b, .current) }
  public static func - (a: Double, b: Var) -> Var { binary(.sub, literal(a, like: b), b, .current) }
  public static func * (a: Double, b: Var) -> Var { binary(.mul, literal(a, like: b), b, .current) }
  public static func / (a: Double, b: Var) -> Var { binary(.div, literal(a, like: b), b, .current) }
  public static prefix func - (a: Var) -> Var { unary(.neg, a, .current) }
  public static prefix func ! (a: Var) -> Var { unary(.logicalNot, a, .current) }
  public static func < (a: Var, b: Var) -> Var { binary(.lt, a, b, .current) }
  public static func <= (a: Var, b: Var) -> Var { binary(.le, a, b, .current) }
  public static func > (a: Var, b: Var) -> Var { binary(.gt, a, b, .current) }
  public static func >= (a: Var, b: Var) -> Var { binary(.ge, a, b, .current) }
  public static func < (a: Var, b: Double) -> Var { binary(.lt, a, literal(b, like: a), .current) }
  public static func <= (a: Var, b: Double) -> Var { binary(.le, a, literal(b, like: a), .current) }
  public static func > (a: Var, b: Double) -> Var { binary(.gt, a, literal(b, like: a), .current) }
  public static func >= (a: Var, b: Double) -> Var { binary(.ge, a, literal(b, like: a), .current) }
}
