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
    case .sigmoid:
      let e = fn("exp", t)
      return "(\(x) >= 0 ? (\(c))1 / ((\(c))1 + \(e)(-\(x))) : \(e)(\(x)) / ((\(c))1 + \(e)(\(x))))"
    case .softplus:
      let e = fn("exp", t)
      let l = fn("log1p", t)
      return "(\(x) > 0 ? \(x) + \(l)(\(e)(-\(x))) : \(l)(\(e)(\(x))))"
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

  /// out[i] = expr(inputs at i) with numpy broadcasting (see ``elementwiseMulti``).
  func elementwise(_ out: Int, _ ins: [Int], into w: inout CWriter, _ expr: ([String]) -> String) {
    elementwiseMulti(out, ins, into: &w) { x in ("", [(out, expr(x))]) }
  }

  /// One loop over the shape of buffer `shapeOf`: a flat loop when no input stretches (only dims
  /// statically 1 do, so this is known when emitting) or an input is a scalar, else an odometer over the
  /// outer axes with a strided inner loop. `body(input names)` returns the statements defining values
  /// and the (buffer, value) pairs to store at each element.
  func elementwiseMulti(
    _ shapeOf: Int, _ ins: [Int], into w: inout CWriter, _ body: ([String]) -> (String, [(Int, String)])
  ) {
    let (stmts, stores) = body(ins.indices.map { "x\($0)" })
    let store = { (i: String) in stores.map { "\(b($0.0))[\(i)] = \($0.1);" }.joined(separator: " ") }
    let R = layout.rank[shapeOf]
    func loads(_ index: (Int) -> String) -> String {
      ins.enumerated().map { k, id in "const \(Self.ctype(layout.dtype[id])) x\(k) = \(b(id))[\(index(k))];" }.joined(separator: " ")
    }
    if R == 0 {
      w.line("{ \(loads { _ in "0" }) \(stmts) \(store("0")) }")
      return
    }
    let outType = layout.types[shapeOf]
    let direct = ins.map { id -> String? in
      let t = layout.types[id]
      if t.rank == 0 { return "0" }
      if t.rank == R && !zip(t.shape, outType.shape).contains(where: { $0.isOne && !$1.isOne }) { return "i" }
      return nil
    }
    if direct.allSatisfy({ $0 != nil }) {
      w.line("for (int64_t i = 0; i < \(n(shapeOf)); i++) { \(loads { direct[$0]! }) \(stmts) \(store("i")) }")
      return
    }
    w.block("if (\(n(shapeOf)) > 0)") { w in
      for (k, id) in ins.enumerated() {
        w.line("int64_t s\(k)[\(R)]; sk_bstrides(\(R), \(dims(shapeOf)), \(layout.rank[id]), \(dims(id)), s\(k));")
      }
      w.line("int64_t ix[\(R)]; memset(ix, 0, sizeof ix);")
      w.line("int64_t " + ins.indices.map { "o\($0) = 0" }.joined(separator: ", ") + (ins.isEmpty ? "dummy = 0;" : ";"))
      w.line("const int64_t inner = \(dim(shapeOf, R - 1));")
      w.block("for (int64_t i = 0; i < \(n(shapeOf)); i += inner)") { w in
        let load = ins.enumerated().map { k, id in
          "const \(Self.ctype(layout.dtype[id])) x\(k) = \(b(id))[o\(k) + k * s\(k)[\(R - 1)]];"
        }.joined(separator: " ")
        w.line("for (int64_t k = 0; k < inner; k++) { \(load) \(stmts) \(store("i + k")) }")
        let adv = ins.indices.map { "o\($0) += s\($0)[d];" }.joined(separator: " ")
        let back = ins.indices.map { "o\($0) -= s\($0)[d] * \(dims(shapeOf))[d];" }.joined(separator: " ")
        w.line("for (int d = \(R - 2); d >= 0; d--) { ix[d]++; \(adv) if (ix[d] < \(dims(shapeOf))[d]) break; \(back) ix[d] = 0; }")
      }
    }
  }

  func castExpr(from s: DType, to t: DType, _ x: String) -> String {
    if t == .bool { return "(uint8_t)(\(x) != 0)" }
    if t == .int32 && s.isFloatingPoint { return "sk_f2i((double)\(x))" }
    return "(\(Self.ctype(t)))\(x)"
  }
}
