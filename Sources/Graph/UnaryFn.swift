import RealModule
import SketchRuntime

/// Elementwise functions of one argument: evaluator, derivative and print name side by side.
public enum UnaryFn: String, Hashable, Sendable, CaseIterable {
  /// `-x` (int32 wraps); not for bool.
  case neg
  /// `|x|` (int32 wraps at its minimum); not for bool.
  case abs
  /// -1, 0 or 1 by the sign of x (0 for NaN); not for bool; its gradient is zero.
  case sign
  /// The largest integer not above x (int32 unchanged); not for bool; its gradient is zero.
  case floor
  /// `e^x`; floats only.
  case exp
  /// `e^x - 1`, accurate near 0; floats only.
  case expm1
  /// The natural logarithm; floats only.
  case log
  /// `log(1 + x)`, accurate near 0; floats only.
  case log1p
  /// The square root; floats only.
  case sqrt
  /// `x * x` (int32 wraps); not for bool.
  case square
  /// `1 / x`; floats only.
  case reciprocal
  /// The hyperbolic tangent; floats only.
  case tanh
  /// The logistic function `1 / (1 + e^-x)`; floats only.
  case sigmoid
  /// `log(1 + e^x)` without overflow; floats only.
  case softplus
  /// The sine (of radians); floats only.
  case sin
  /// The cosine (of radians); floats only.
  case cos
  /// Logical negation; bool only.
  case logicalNot

  /// The name used in dumps, errors and kernel texts (the raw value: `neg`, `tanh`, `logicalNot`...).
  public var name: String { rawValue }

  /// The reference scalar function, in the element type (the C backend must match it).
  @inlinable
  public func apply<T: TensorFloat>(_ x: T) -> T {
    switch self {
    case .neg: return -x
    case .abs: return Swift.abs(x)
    case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
    case .floor: return x.rounded(.down)
    case .exp: return T.kernelExp(x)
    case .expm1: return T.expMinusOne(x)
    case .log: return T.kernelLog(x)
    case .log1p: return T.log(onePlus: x)
    case .sqrt: return x.squareRoot()
    case .square: return x * x
    case .reciprocal: return 1 / x
    case .tanh: return T.kernelTanh(x)
    case .sigmoid: return T.kernelSigmoid(x)
    case .softplus: return T.kernelSoftplus(x)
    case .sin: return T.sin(x)
    case .cos: return T.cos(x)
    case .logicalNot: return x == 0 ? 1 : 0
    }
  }

  /// The int32 version, for the functions that have one.
  public func apply(_ x: Int32) -> Int32 {
    switch self {
    case .neg: return 0 &- x
    case .abs: return x < 0 ? 0 &- x : x
    case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
    case .square: return x &* x
    case .floor: return x
    case .exp, .expm1, .log, .log1p, .sqrt, .reciprocal, .tanh, .sigmoid, .softplus, .sin, .cos, .logicalNot:
      preconditionFailure("\(name) has no int32 kernel")
    }
  }

  /// The dtypes this function accepts.
  public func accepts(_ t: DType) -> Bool {
    switch self {
    case .neg, .abs, .sign, .square, .floor: return t != .bool
    case .logicalNot: return t == .bool
    case .exp, .expm1, .log, .log1p, .sqrt, .reciprocal, .tanh, .sigmoid, .softplus, .sin, .cos:
      return t.isFloatingPoint
    }
  }

  /// The C expression of this function of `x` (an expression of dtype `t`), as the native backend
  /// emits it: the same functions the evaluators above call (sketch_scalar.h's polynomials for
  /// float32 exp, log, tanh and sigmoid; libm otherwise).
  public func c(_ t: DType, _ x: String) -> String {
    if t == .bool { return "(uint8_t)!\(x)" }
    if t == .int32 {
      switch self {
      case .neg: return "(int32_t)(0u - (uint32_t)\(x))"
      case .abs: return "(\(x) < 0 ? (int32_t)(0u - (uint32_t)\(x)) : \(x))"
      case .sign: return "(int32_t)((\(x) > 0) - (\(x) < 0))"
      case .square: return "(int32_t)((uint32_t)\(x) * (uint32_t)\(x))"
      case .floor, .exp, .expm1, .log, .log1p, .sqrt, .reciprocal, .tanh, .sigmoid, .softplus, .sin, .cos,
        .logicalNot:
        return x
      }
    }
    let c = t.cName
    let f32 = t == .float32
    func libm(_ name: String) -> String { "\(f32 ? name + "f" : name)(\(x))" }
    switch self {
    case .neg: return "(-\(x))"
    case .abs: return libm("fabs")
    case .sign: return "(\(c))((\(x) > 0) - (\(x) < 0))"
    case .floor: return libm("floor")
    case .exp: return f32 ? "sk_expf(\(x))" : libm("exp")
    case .expm1: return libm("expm1")
    case .log: return f32 ? "sk_logf(\(x))" : libm("log")
    case .log1p: return libm("log1p")
    case .sqrt: return libm("sqrt")
    case .square: return "(\(x) * \(x))"
    case .reciprocal: return "((\(c))1 / \(x))"
    case .tanh: return f32 ? "sk_tanhf(\(x))" : libm("tanh")
    case .sigmoid: return f32 ? "sk_sigmoidf(\(x))" : libm("sk_sigmoid")
    case .softplus: return libm("sk_softplus")
    case .sin: return libm("sin")
    case .cos: return libm("cos")
    case .logicalNot: return "(\(c))(\(x) == 0)"
    }
  }

  /// A rough cost per element in units of a simple vector operation (a transcendental about 20, a
  /// division 4): the native backend splits a loop across threads when elements × cost is large.
  public var cost: Int {
    switch self {
    case .neg, .abs, .sign, .floor, .square, .logicalNot: return 1
    case .reciprocal: return 4
    case .exp, .expm1, .log, .log1p, .sqrt, .tanh, .sigmoid, .sin, .cos: return 20
    case .softplus: return 40
    }
  }

  /// The gradient with respect to x, given x, the output y and the output's gradient g;
  /// nil when no gradient flows (piecewise-constant functions).
  func gradient(x: Var, y: Var, g: Var) -> Var? {
    switch self {
    case .neg: return -g
    case .abs: return g * Graph.sign(x)
    case .sign, .floor: return zerosLike(x)  // zero almost everywhere (Theano: connected, zero)
    case .logicalNot: return nil
    case .exp: return g * y
    case .expm1: return g * (y + 1)
    case .log: return g / x
    case .log1p: return g / (x + 1)
    case .sqrt: return g * 0.5 / y
    case .square: return g * 2 * x
    case .reciprocal: return -(g * y * y)
    case .tanh: return g * (1 - y * y)
    case .sigmoid: return g * y * (1 - y)
    case .softplus: return g * Graph.sigmoid(x)
    case .sin: return g * Graph.cos(x)
    case .cos: return -(g * Graph.sin(x))
    }
  }
}
