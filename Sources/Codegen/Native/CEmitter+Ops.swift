import Graph
import Runtime

extension CEmitter {
  func fn(_ name: String, _ t: DType) -> String { t == .float32 ? name + "f" : name }

  /// The C expression of a unary function of `x` (the same libm functions as the interpreter).
  func unaryExpr(_ f: UnaryFn, _ t: DType, _ x: String) -> String {
    let c = Self.ctype(t)
    if t == .bool { return "(uint8_t)!\(x)" }
    if t == .int32 {
      switch f {
      case .neg: return "(int32_t)(0u - (uint32_t)\(x))"
      case .abs: return "(\(x) < 0 ? (int32_t)(0u - (uint32_t)\(x)) : \(x))"
      case .sign: return "(int32_t)((\(x) > 0) - (\(x) < 0))"
      case .square: return "(int32_t)((uint32_t)\(x) * (uint32_t)\(x))"
      default: return x
      }
    }
    if t == .float32 {
      switch f {
      case .exp: return "sk_expf(\(x))"
      case .tanh: return "sk_tanhf(\(x))"
      case .sigmoid: return "sk_sigmoidf(\(x))"
      case .log: return "sk_logf(\(x))"
      default: break
      }
    }
    switch f {
    case .neg: return "(-\(x))"
    case .abs: return "\(fn("fabs", t))(\(x))"
    case .sign: return "(\(c))((\(x) > 0) - (\(x) < 0))"
    case .floor: return "\(fn("floor", t))(\(x))"
    case .exp: return "\(fn("exp", t))(\(x))"
    case .expm1: return "\(fn("expm1", t))(\(x))"
    case .log: return "\(fn("log", t))(\(x))"
    case .log1p: return "\(fn("log1p", t))(\(x))"
    case .sqrt: return "\(fn("sqrt", t))(\(x))"
    case .square: return "(\(x) * \(x))"
    case .reciprocal: return "((\(c))1 / \(x))"
    case .tanh: return "\(fn("tanh", t))(\(x))"
    case .sigmoid: return "sk_sigmoid(\(x))"
    case .softplus: return "\(fn("sk_softplus", t))(\(x))"
    case .sin: return "\(fn("sin", t))(\(x))"
    case .cos: return "\(fn("cos", t))(\(x))"
    case .logicalNot: return "(\(c))(\(x) == 0)"
    }
  }

  /// The C expression of a binary function of `a` and `b` of dtype `t`.
  func binaryExpr(_ f: BinaryFn, _ t: DType, _ a: String, _ b: String) -> String {
    switch f {
    case .lt: return "(uint8_t)(\(a) < \(b))"
    case .le: return "(uint8_t)(\(a) <= \(b))"
    case .gt: return "(uint8_t)(\(a) > \(b))"
    case .ge: return "(uint8_t)(\(a) >= \(b))"
    case .eq: return "(uint8_t)(\(a) == \(b))"
    case .ne: return "(uint8_t)(\(a) != \(b))"
    case .and: return "(uint8_t)(\(a) && \(b))"
    case .or: return "(uint8_t)(\(a) || \(b))"
    default: break
    }
    if t == .int32 {
      switch f {
      case .add: return "(int32_t)((uint32_t)\(a) + (uint32_t)\(b))"
      case .sub: return "(int32_t)((uint32_t)\(a) - (uint32_t)\(b))"
      case .mul: return "(int32_t)((uint32_t)\(a) * (uint32_t)\(b))"
      case .div: return "sk_idiv(\(a), \(b))"
      case .maximum: return "(\(a) > \(b) ? \(a) : \(b))"
      case .minimum: return "(\(a) < \(b) ? \(a) : \(b))"
      default: return a
      }
    }
    switch f {
    case .add: return "(\(a) + \(b))"
    case .sub: return "(\(a) - \(b))"
    case .mul: return "(\(a) * \(b))"
    case .div: return "(\(a) / \(b))"
    case .pow: return t == .float32 ? "sk_powf(\(a), \(b))" : "sk_pow(\(a), \(b))"
    case .maximum: return "((\(a) != \(a) || \(b) != \(b)) ? NAN : (\(a) >= \(b) ? \(a) : \(b)))"
    case .minimum: return "((\(a) != \(a) || \(b) != \(b)) ? NAN : (\(a) <= \(b) ? \(a) : \(b)))"
    default: return a
    }
  }

  func castExpr(from s: DType, to t: DType, _ x: String) -> String {
    if t == .bool { return "(uint8_t)(\(x) != 0)" }
    if t == .int32 && s.isFloatingPoint { return "sk_f2i((double)\(x))" }
    return "(\(Self.ctype(t)))\(x)"
  }
}
