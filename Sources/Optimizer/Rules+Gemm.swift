import Graph
import SketchRuntime

/// GEMM formation: a matrix product with the bias added to it and the scale applied to it becomes
/// one `gemm` node (`alpha · op(A)·op(B) + beta · C`), and a transpose feeding a product becomes the
/// product's transpose flag. What is left is what BLAS does in one call.
enum GemmFormation {
  /// The parameters and operands of `n` when it is a 2-D matmul or gemm.
  static func product(_ e: GraphEditor, _ n: Int) -> (Gemm, [Int])? {
    if case .matmul(let ta, let tb) = e.op(n) {
      guard e.type(e.arg(n, 0)).rank == 2, e.type(e.arg(n, 1)).rank == 2 else { return nil }
      return (Gemm(transposeA: ta, transposeB: tb, alpha: 1, beta: 0), e.args(n))
    }
    if case .gemm(let g) = e.op(n) { return (g, e.args(n)) }
    return nil
  }

  /// The node for a product with these parameters: a plain matmul when there is nothing else.
  static func make(_ e: GraphEditor, _ n: Int, _ g: Gemm, _ ins: [Int]) throws -> Int {
    if ins.count == 2 && g.alpha == 1 {
      return try e.like(n, .matmul(transposeA: g.transposeA, transposeB: g.transposeB), ins)
    }
    return try e.like(n, .gemm(g), ins)
  }

  static let rules: [Rule] = [
    // matmul(transpose(A), B) → matmul{Aᵀ}(A, B), also for the last two axes of batched operands.
    Rule("transpose-into-product") { e, n in
      if case .matmul(let ta, let tb) = e.op(n) {
        for k in 0..<2 {
          let x = e.arg(n, k)
          guard case .transpose(let p) = e.op(x), swapsLastTwo(p) else { continue }
          if k == 0 && e.type(x).rank > 2 && e.type(e.arg(n, 1)).rank == 2 { continue }  // batched A needs ta = false
          var ins = e.args(n)
          ins[k] = e.arg(x, 0)
          return try e.like(n, .matmul(transposeA: k == 0 ? !ta : ta, transposeB: k == 1 ? !tb : tb), ins)
        }
      }
      if case .gemm(var g) = e.op(n) {
        for k in 0..<2 {
          let x = e.arg(n, k)
          guard case .transpose(let p) = e.op(x), swapsLastTwo(p) else { continue }
          var ins = e.args(n)
          ins[k] = e.arg(x, 0)
          if k == 0 { g.transposeA.toggle() } else { g.transposeB.toggle() }
          return try e.like(n, .gemm(g), ins)
        }
      }
      return nil
    },
    // P + C, C + P, P - C, C - P with P a product read only here and C broadcasting to P's shape.
    Rule("gemm-bias") { e, n in
      guard case .binary(let f) = e.op(n), f == .add || f == .sub, e.isFloat(n) else { return nil }
      for k in 0..<2 {
        let p = e.arg(n, k)
        let c = e.arg(n, 1 - k)
        guard let (g0, ins) = product(e, p), ins.count == 2, e.useCount(p) == 1, p != c,
          e.type(p).shape == e.type(n).shape, e.type(c).rank <= 2
        else { continue }
        var g = g0
        if f == .sub && k == 1 { g.alpha = -g.alpha }
        g.beta = (f == .sub && k == 0) ? -1 : 1
        return try e.like(n, .gemm(g), ins + [c])
      }
      return nil
    },
    // P · s, s · P, P / s with s a scalar constant: scale alpha (and beta).
    Rule("gemm-scale") { e, n in
      guard case .binary(let f) = e.op(n), f == .mul || f == .div, e.isFloat(n) else { return nil }
      for k in 0..<(f == .mul ? 2 : 1) {
        let p = e.arg(n, k)
        guard let s = e.scalarConstant(e.arg(n, 1 - k)), s != 0, let (g0, ins) = product(e, p),
          e.useCount(p) == 1, e.type(p).shape == e.type(n).shape
        else { continue }
        var g = g0
        let m = f == .mul ? s : 1 / s
        g.alpha *= m
        g.beta *= m
        return try make(e, n, g, ins)
      }
      return nil
    },
    Rule("gemm-neg") { e, n in
      guard let p = e.unary(n, .neg), let (g0, ins) = product(e, p), e.useCount(p) == 1 else { return nil }
      var g = g0
      g.alpha = -g.alpha
      g.beta = -g.beta
      return try make(e, n, g, ins)
    },
  ]

  static func swapsLastTwo(_ p: [Int]) -> Bool {
    let r = p.count
    guard r >= 2 else { return false }
    return Array(p[..<(r - 2)]) == Array(0..<(r - 2)) && p[r - 2] == r - 1 && p[r - 1] == r - 2
  }
}
