import Graph
import SketchRuntime

/// The C lowering of `matmul` and `gemm` (their other facets: `Graph/Ops/Matmul.swift`): OpenBLAS
/// through `sk_sgemm`/`sk_dgemm`, or a short loop for contractions of at most 8.
extension CEmitter {
  func emitMatmul(transposeA ta: Bool, transposeB tb: Bool, id: Int, ins: [Int], into w: inout CWriter) {
    if emitSmallKProduct(id, ins, Gemm(transposeA: ta, transposeB: tb), into: &w) { return }
    emitMatmul(id, ins[0], ins[1], ta, tb, into: &w)
  }

  /// `alpha·op(A)·op(B)`, then `+ beta·C` in the interpreter's order of operations.
  func emitGemm(_ gm: Gemm, id: Int, ins: [Int], into w: inout CWriter) {
    if inPlaceProducts.contains(id) {
      // The result is the C operand's buffer (a loop output written over its sequence): BLAS's
      // `C = αAB + βC` in place.
      emitMatmul(
        id, ins[0], ins[1], gm.transposeA, gm.transposeB, alpha: Self.literal(gm.alpha, layout.dtype[id]),
        beta: Self.literal(gm.beta, layout.dtype[id]), into: &w)
      return
    }
    if emitSmallKProduct(id, ins, gm, into: &w) { return }
    emitMatmul(id, ins[0], ins[1], gm.transposeA, gm.transposeB, into: &w)
    let t = layout.dtype[id]
    let alpha = Self.literal(gm.alpha, t)
    let beta = Self.literal(gm.beta, t)
    if ins.count < 3 {
      if gm.alpha != 1 { w.line("for (int64_t i = 0; i < \(n(id)); i++) \(b(id))[i] = \(alpha) * \(b(id))[i];") }
      return
    }
    let scaled = gm.alpha == 1 ? "x0" : "(\(alpha) * x0)"
    let combine =
      gm.beta == 1 ? "(\(scaled) + x1)" : (gm.beta == -1 ? "(\(scaled) - x1)" : "(\(scaled) + \(beta) * x1)")
    elementwise(id, [id, ins[2]], cost: Kernel.loopCost + 2, into: &w) { _ in combine }
  }

  /// A product whose contraction is statically at most 8 long (an input projection of a few
  /// features): a loop over rows that the compiler vectorizes along the columns, adding the C term
  /// in the same pass (row by row, while the row is in cache) instead of a BLAS call and a second
  /// pass over a big result. float32, rank-2, A not transposed, C absent or read at the output's
  /// index or broadcast along the rows.
  func emitSmallKProduct(_ id: Int, _ ins: [Int], _ gm: Gemm, into w: inout CWriter) -> Bool {
    let (a, bb) = (ins[0], ins[1])
    let (ta, tb) = (gm.transposeA, gm.transposeB)
    // float32 only: float64 products keep BLAS, like the interpreter, so that float64 graphs agree
    // with it to the last bits (the reference for the tests); the sums here are rounded per product.
    guard !ta, layout.dtype[id] == .float32, layout.rank[a] == 2, layout.rank[bb] == 2, layout.rank[id] == 2,
      let K = layout.types[a].shape[1].fixedValue, K >= 1, K <= 8
    else { return false }
    var cRead: String? = nil
    if ins.count == 3 {
      let c = ins[2]
      let ct = layout.types[c]
      let ot = layout.types[id]
      if ct.rank == 2 && !zip(ct.shape, ot.shape).contains(where: { $0.isOne && !$1.isOne }) {
        cRead = "cc[i * n + j]"
      } else if (ct.rank == 1 && !ct.shape[0].isOne) || (ct.rank == 2 && ct.shape[0].isOne && !ct.shape[1].isOne) {
        cRead = "cc[j]"
      } else {
        return false
      }
    }
    let t = Self.ctype(layout.dtype[id])
    let alpha = Self.literal(gm.alpha, layout.dtype[id])
    let beta = Self.literal(gm.beta, layout.dtype[id])
    let scaled = gm.alpha == 1 ? "acc" : "(\(alpha) * acc)"
    let value =
      cRead.map { x in
        gm.beta == 1 ? "(\(scaled) + \(x))" : (gm.beta == -1 ? "(\(scaled) - \(x))" : "(\(scaled) + \(beta) * \(x))")
      } ?? scaled
    let name = "sk_smallk_\(id)"
    var h = CWriter()
    h.line("typedef struct { const \(t)* A; const \(t)* B; const \(t)* C; \(t)* O; int64_t n, ldb; } \(name)_args;")
    h.block("static __attribute__((noinline)) void \(name)(void* v, int64_t lo, int64_t hi)") { h in
      h.line("const \(name)_args* s = (const \(name)_args*)v;")
      h.line("const int64_t n = s->n, ldb = s->ldb; (void)ldb;")
      h.line("const \(t)* restrict cc = s->C; (void)cc;")
      h.line("const \(t)* restrict bb = s->B;")
      if !tb { for p in 0..<K { h.line("const \(t)* restrict b\(p) = bb + \(p) * ldb;") } }
      h.block("for (int64_t i = lo; i < hi; i++)") { h in
        h.line("\(t)* restrict o = s->O + i * n;")
        h.line((0..<K).map { "const \(t) a\($0) = s->A[i * \(K) + \($0)];" }.joined(separator: " "))
        // The products summed in order p = 0, 1, ..., each rounded (no contraction), like a dot.
        let terms = (0..<K).map { p in tb ? "a\(p) * bb[j * ldb + \(p)]" : "a\(p) * b\(p)[j]" }
        let sum = terms.dropFirst().reduce(terms[0]) { "(\($0) + \($1))" }
        h.line("for (int64_t j = 0; j < n; j++) { const \(t) acc = \(sum); o[j] = \(value); }")
      }
    }
    w.helper(name: name, h.text)
    w.block("") { w in
      w.line("\(name)_args s;")
      w.line("s.A = \(b(a)); s.B = \(b(bb)); s.C = \(ins.count == 3 ? b(ins[2]) : "0"); s.O = \(b(id));")
      w.line("s.n = \(dim(id, 1)); s.ldb = \(dim(bb, 1));")
      w.line("const int64_t m = \(dim(id, 0));")
      w.line("sk_parallel(\(name), &s, m, (double)m * s.n * \(K + 1) / 4);")
    }
    return true
  }

  func emitMatmul(
    _ c: Int, _ a: Int, _ bb: Int, _ ta: Bool, _ tb: Bool, alpha: String = "1", beta: String? = nil,
    into w: inout CWriter
  ) {
    let ra = layout.rank[a]
    let rb = layout.rank[bb]
    let t = layout.dtype[c]
    let (m, k) = ta ? (dim(a, ra - 1), dim(a, ra - 2)) : (dim(a, ra - 2), dim(a, ra - 1))
    let nn = tb ? dim(bb, rb - 2) : dim(bb, rb - 1)
    let gemm = t == .float32 ? "sk_sgemm" : "sk_dgemm"
    w.block("") { w in
      w.line("const int64_t m = \(m), k = \(k), n = \(nn);")
      w.line("const int64_t batch = (m * n) > 0 ? \(self.n(c)) / (m * n) : 0;")
      w.line(
        "const int lda = \(ta ? "m" : "k") > 1 ? (int)\(ta ? "m" : "k") : 1, ldb = \(tb ? "k" : "n") > 1 ? (int)\(tb ? "k" : "n") : 1, ldc = n > 1 ? (int)n : 1;"
      )
      w.block("for (int64_t i = 0; i < batch; i++)") { w in
        w.line("\(Self.ctype(t))* ci = \(b(c)) + i * m * n;")
        if let beta {
          w.line("if (k == 0) { for (int64_t e = 0; e < m * n; e++) ci[e] = \(beta) * ci[e]; continue; }")
        } else {
          w.line("if (k == 0) { memset(ci, 0, sizeof(*ci) * m * n); continue; }")
        }
        w.line(
          "\(gemm)(\(ta ? 1 : 0), \(tb ? 1 : 0), (int)m, (int)n, (int)k, \(alpha), \(b(a)) + i * m * k, lda, "
            + "\(b(bb)) + \(rb > 2 ? "i * k * n" : "0"), ldb, \(beta ?? "0"), ci, ldc, \(loopConstants.contains(bb) && rb == 2 ? 1 : 0));")
      }
    }
  }
}
