import RealModule
import Runtime

/// Elementwise functions of one argument: evaluator, derivative and print name side by side.
public enum UnaryFn: String, Hashable, Sendable, CaseIterable {
  case neg, abs, sign, floor, exp, expm1, log, log1p, sqrt, square, reciprocal
  case tanh, sigmoid, softplus, sin, cos
  case logicalNot

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
    default: preconditionFailure("\(name) has no int32 kernel")
    }
  }

  /// The dtypes this function accepts.
  public func accepts(_ t: DType) -> Bool {
    switch self {
    case .neg, .abs, .sign, .square, .floor: return t != .bool
    case .logicalNot: return t == .bool
    default: return t.isFloatingPoint
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
