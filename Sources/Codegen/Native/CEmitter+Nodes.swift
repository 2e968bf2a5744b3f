import Graph
import SketchRuntime

extension CEmitter {
  /// The code of one node: buffer `id` computed from buffers `ins`.
  func emitNode(
    _ node: FunctionGraph.Node, id: Int, ins: [Int], graph g: Int, index: Int, into w: inout CWriter,
    functions: inout CWriter
  ) throws {
    let t = layout.dtype[id]
    let ct = Self.ctype(t)
    let sfx = Self.suffix(t)
    func copy(_ from: Int) { w.line("memcpy(\(b(id)), \(b(from)), sizeof(\(ct)) * \(n(id)));") }
    switch node.op {
    case .input, .constant, .shared, .tupleElement:
      return
    case .unary(let f):
      elementwise(id, ins, cost: Kernel.loopCost + f.cost, into: &w) { f.c(layout.dtype[ins[0]], $0[0]) }
    case .binary(let f):
      elementwise(id, ins, cost: Kernel.loopCost + f.cost, into: &w) { f.c(layout.dtype[ins[0]], $0[0], $0[1]) }
    case .select:
      elementwise(id, ins, cost: Kernel.loopCost + 1, into: &w) { "(\($0[0]) ? \($0[1]) : \($0[2]))" }
    case .cast(let to):
      elementwise(id, ins, cost: Kernel.loopCost + 1, into: &w) { castExpr(from: layout.dtype[ins[0]], to: to, $0[0]) }
    case .stopGradient, .reshape:
      // The same bytes: the node's entry points at its input's buffer (no copy, no storage).
      w.line("B[\(id)] = B[\(ins[0])];")
    case .reduce(let f, let axes, _):
      let x = ins[0]
      let R = layout.rank[x]
      let name = "sk_\(f.rawValue)_\(sfx)"
      w.block("") { w in
        w.line("int64_t kd[\(R)], ks[\(R)], os[\(R)];")
        w.line("for (int i = 0; i < \(R); i++) kd[i] = \(dims(x))[i];")
        for a in axes { w.line("kd[\(a)] = 1;") }
        w.line("sk_strides(\(R), kd, ks);")
        w.line("for (int i = 0; i < \(R); i++) os[i] = ks[i];")
        for a in axes { w.line("os[\(a)] = 0;") }
        w.line("\(name)(\(b(id)), \(b(x)), \(R), \(dims(x)), os, \(n(id)));")
      }
    case .argmax(let axis, _):
      let x = ins[0]
      let R = layout.rank[x]
      let outer = axis == 0 ? "1" : (0..<axis).map { dim(x, $0) }.joined(separator: " * ")
      let inner = axis == R - 1 ? "1" : ((axis + 1)..<R).map { dim(x, $0) }.joined(separator: " * ")
      w.line("sk_argmax_\(Self.suffix(layout.dtype[x]))(\(b(id)), \(b(x)), \(outer), \(dim(x, axis)), \(inner));")
    case .matmul(let ta, let tb):
      if emitSmallKProduct(id, ins, Gemm(transposeA: ta, transposeB: tb), into: &w) { break }
      emitMatmul(id, ins[0], ins[1], ta, tb, into: &w)
    case .transpose(let perm):
      let x = ins[0]
      let R = perm.count
      w.block("") { w in
        w.line("int64_t s[\(R)], st[\(R)]; sk_strides(\(R), \(dims(x)), s);")
        for (d, p) in perm.enumerated() { w.line("st[\(d)] = s[\(p)];") }
        w.line("sk_gather_\(sfx)(\(b(id)), \(b(x)), \(R), \(dims(id)), st, 0);")
      }
    case .broadcast:
      let x = ins[0]
      let R = layout.rank[id]
      w.block("") { w in
        w.line("int64_t st[\(Swift.max(R, 1))]; sk_bstrides(\(R), \(dims(id)), \(layout.rank[x]), \(dims(x)), st);")
        w.line("sk_gather_\(sfx)(\(b(id)), \(b(x)), \(R), \(dims(id)), st, 0);")
      }
    case .slice(let ranges):
      emitSliceAccess(id: id, x: ins[0], ranges: ranges, into: &w) { st, dimsName, kept in
        "sk_gather_\(sfx)(\(b(id)), \(b(ins[0])), \(kept), \(dimsName), \(st), base);"
      }
    case .updateSlice(let ranges, let acc):
      copy(ins[0])
      let y = ins[1]
      emitSliceAccess(id: id, x: ins[0], ranges: ranges, into: &w) { st, dimsName, kept in
        "{ int64_t ys[\(Swift.max(kept, 1))]; sk_bstrides(\(kept), \(dimsName), \(layout.rank[y]), \(dims(y)), ys); "
          + "sk_\(acc ? "add" : "set")_\(sfx)(\(b(id)), \(b(y)), \(kept), \(dimsName), \(st), base, ys); }"
      }
    case .concat where filledConcats.contains(id):
      w.line("/* filled by the loops that compute its parts */")
    case .concat(let axis):
      let R = layout.rank[id]
      let outer = axis == 0 ? "1" : (0..<axis).map { dim(id, $0) }.joined(separator: " * ")
      w.block("") { w in
        w.line("int64_t pos = 0;")
        w.block("for (int64_t o = 0; o < \(outer); o++)") { w in
          for x in ins {
            let blk = (axis..<R).map { dim(x, $0) }.joined(separator: " * ")
            w.line(
              "{ const int64_t blk = \(blk); memcpy(\(b(id)) + pos, \(b(x)) + o * blk, sizeof(\(ct)) * blk); pos += blk; }"
            )
          }
        }
      }
    case .concatPart(let axis, _):
      let gIn = ins[0]
      let R = layout.rank[id]
      w.block("") { w in
        w.line("int64_t s[\(R)]; sk_strides(\(R), \(dims(gIn)), s);")
        w.line("sk_gather_\(sfx)(\(b(id)), \(b(gIn)), \(R), \(dims(id)), s, P[\(layout.auxOffset[id])] * s[\(axis)]);")
      }
    case .take(let axis):
      emitTake(id: id, x: ins[0], idx: ins[1], axis: axis, grad: nil, into: &w)
    case .takeGrad(let axis):
      emitTake(id: id, x: ins[0], idx: ins[1], axis: axis, grad: ins[2], into: &w)
    case .size(let axes, _):
      let prod = axes.isEmpty ? "1" : axes.map { dim(ins[0], $0) }.joined(separator: " * ")
      w.line("\(b(id))[0] = (\(ct))(\(prod));")
    case .random(let r):
      let key = b(ins[0])
      switch r {
      case .uniform(let d, _):
        w.line(
          "for (int64_t i = 0; i < \(n(id)); i++) \(b(id))[i] = \(d == .float32 ? "sk_uniform32" : "sk_uniform64")(\(key), (uint64_t)i);"
        )
      case .normal:
        w.line("for (int64_t i = 0; i < \(n(id)); i++) \(b(id))[i] = (\(ct))sk_normal(\(key), (uint64_t)i);")
      case .bernoulli:
        w.line(
          "for (int64_t i = 0; i < \(n(id)); i++) \(b(id))[i] = sk_uniform64(\(key), (uint64_t)i) < (double)\(b(ins[1]))[i];"
        )
      case .categorical:
        let p = ins[1]
        let K = dim(p, layout.rank[p] - 1)
        w.line("if (\(K) < 1) return \(fail(id, .emptyCategorical));")
        w.line(
          "for (int64_t i = 0; i < \(n(p)); i++) { double v = (double)\(b(p))[i]; if (v < 0 || v != v) return \(fail(id, .badProbability, "v"));}"
        )
        w.line("sk_categorical_\(Self.suffix(layout.dtype[p]))(\(b(id)), \(b(p)), \(n(id)), \(K), \(key));")
      }
    case .foldKey:
      w.line("sk_fold(\(b(ins[0])), (uint64_t)(uint32_t)\(b(ins[1]))[0], \(b(id)));")
    case .scan(let spec):
      try emitScan(spec, graph: g, index: index, ins: ins, into: &w, functions: &functions)
    case .fused(let k):
      emitFused(k, id: id, ins: ins, graph: g, index: index, into: &w)
    case .gemm(let gm):
      emitGemm(gm, id: id, ins: ins, into: &w)
    }
  }

  /// A fused kernel: one loop over the iteration shape evaluating its SSA instructions per element.
  func emitFused(_ k: Kernel, id: Int, ins: [Int], graph g: Int, index: Int, into w: inout CWriter) {
    // The buffers the outputs go to: the node itself, or its tupleElement nodes.
    var outBuffers: [Int?] = [id]
    if k.outputs.count > 1 {
      outBuffers = Array(repeating: nil, count: k.outputs.count)
      for (j, node) in layout.graphs[g].nodes.enumerated() {
        if case .tupleElement(let o) = node.op, node.inputs[0] == index { outBuffers[o] = layout.id(g, j) }
      }
    }
    guard let shapeBuffer = outBuffers.compactMap({ $0 }).first else { return }
    let targets = outBuffers.enumerated().compactMap { j, b in b.map { (j, $0) } }
    elementwiseMulti(shapeBuffer, ins, cost: k.cost, into: &w) { x in
      var lines: [String] = []
      for (i, ins) in k.instructions.enumerated() {
        let t = k.dtypes[i]
        let c = Self.ctype(t)
        let e: String
        switch ins {
        case .input(let j): e = x[j]
        case .constant(let v): e = Self.literal(v, t)
        case .unary(let f, let a): e = f.c(k.dtypes[a], "v\(a)")
        case .binary(let f, let a, let b): e = f.c(k.dtypes[a], "v\(a)", "v\(b)")
        case .select(let cond, let a, let b): e = "(v\(cond) ? v\(a) : v\(b))"
        case .cast(let d, let a): e = castExpr(from: k.dtypes[a], to: d, "v\(a)")
        }
        lines.append("const \(c) v\(i) = \(e);")
      }
      return (lines.joined(separator: " "), targets.map { j, b in (b, "v\(k.outputs[j])") })
    }
  }

  /// The C expression that records a failure of node `id` (``KernelFailure``) and gives its code.
  func fail(_ id: Int, _ f: KernelFailure, _ a: String = "0", _ b: String = "0") -> String {
    "sk_fail(\(id), \(f.rawValue), \(a), \(b))"
  }

  /// A C literal of `v` in dtype `t`, rounded as the interpreter rounds it.
  static func literal(_ v: Double, _ t: DType) -> String {
    let c = ctype(t)
    if v.isNaN { return "((\(c))NAN)" }
    if v.isInfinite { return v > 0 ? "((\(c))INFINITY)" : "((\(c))-INFINITY)" }
    switch t {
    case .int32: return "((int32_t)\(Int32(converting: v)))"
    case .bool: return v != 0 ? "((uint8_t)1)" : "((uint8_t)0)"
    default: return "((\(c))\(String(v.bitPattern == 0 ? "0.0" : "\(v)")))"
    }
  }

  /// `alpha·op(A)·op(B)`, then `+ beta·C` in the interpreter's order of operations.
  func emitGemm(_ gm: Gemm, id: Int, ins: [Int], into w: inout CWriter) {
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

  /// A strided access to x[ranges]: the kept dims, strides and base offset, then `body`.
  func emitSliceAccess(
    id: Int, x: Int, ranges: [SliceRange], into w: inout CWriter, _ body: (String, String, Int) -> String
  ) {
    let R = layout.rank[x]
    let aux = layout.auxOffset[id]
    var kept: [(axis: Int, step: Int)] = []
    for i in 0..<R {
      let r = i < ranges.count ? ranges[i] : .all
      if !r.isIndex { kept.append((i, r.step)) }
    }
    // The kept counts are the dims of the slice: for a slice node its own dims, for updateSlice they
    // are recomputed from the ranges (stored nowhere else), so slices keep them in P via the result.
    w.block("") { w in
      w.line("int64_t s[\(Swift.max(R, 1))]; sk_strides(\(R), \(dims(x)), s);")
      w.line("int64_t base = 0;")
      for i in 0..<R { w.line("base += P[\(aux + i)] * s[\(i)];") }
      let K = Swift.max(kept.count, 1)
      w.line("int64_t st[\(K)], kd[\(K)];")
      for (j, k) in kept.enumerated() {
        w.line("st[\(j)] = \(k.step) * s[\(k.axis)];")
        let r = k.axis < ranges.count ? ranges[k.axis] : .all
        w.line("kd[\(j)] = \(sliceCount(r, dim: dim(x, k.axis), start: "P[\(aux + k.axis)]"));")
      }
      w.line(body("st", "kd", kept.count))
    }
  }

  /// The C expression of the element count a range selects, given the resolved start.
  func sliceCount(_ r: SliceRange, dim: String, start: String) -> String {
    // Mirrors SliceRange.resolve: the stop is clamped like numpy.
    if r.step > 0 {
      let stop =
        r.stop.map { s in s < 0 ? "(\(s) + \(dim) < 0 ? 0 : \(s) + \(dim))" : "(\(s) > \(dim) ? \(dim) : \(s))" } ?? dim
      return "(\(stop) > \(start) ? (\(stop) - \(start) + \(r.step - 1)) / \(r.step) : 0)"
    }
    let stop =
      r.stop.map { s in s < 0 ? "(\(s) + \(dim) < -1 ? -1 : \(s) + \(dim))" : "(\(s) > \(dim) - 1 ? \(dim) - 1 : \(s))"
      } ?? "-1"
    return "(\(start) > \(stop) ? (\(start) - \(stop) + \(-r.step - 1)) / \(-r.step) : 0)"
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
      w.line("if (m * s.n * \(K + 1) >= 4 * SK_PARALLEL_WORK) sk_parallel(\(name), &s, m); else \(name)(&s, 0, m);")
    }
    return true
  }

  func emitMatmul(_ c: Int, _ a: Int, _ bb: Int, _ ta: Bool, _ tb: Bool, into w: inout CWriter) {
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
        w.line("if (k == 0) { memset(ci, 0, sizeof(*ci) * m * n); continue; }")
        w.line(
          "\(gemm)(\(ta ? 1 : 0), \(tb ? 1 : 0), (int)m, (int)n, (int)k, 1, \(b(a)) + i * m * k, lda, "
            + "\(b(bb)) + \(rb > 2 ? "i * k * n" : "0"), ldb, 0, ci, ldc);")
      }
    }
  }

  func emitTake(id: Int, x: Int, idx: Int, axis: Int, grad: Int?, into w: inout CWriter) {
    let R = layout.rank[x]
    let outer = axis == 0 ? "1" : (0..<axis).map { dim(x, $0) }.joined(separator: " * ")
    let inner = axis == R - 1 ? "1" : ((axis + 1)..<R).map { dim(x, $0) }.joined(separator: " * ")
    let ct = Self.ctype(layout.dtype[id])
    w.block("") { w in
      w.line("const int64_t outer = \(outer), na = \(dim(x, axis)), inner = \(inner), m = \(n(idx));")
      if grad != nil { w.line("memset(\(b(id)), 0, sizeof(\(ct)) * \(n(id)));") }
      w.block("for (int64_t o = 0; o < outer; o++) for (int64_t j = 0; j < m; j++)") { w in
        w.line(
          "int64_t v = \(b(idx))[j]; if (v < 0) v += na; if (v < 0 || v >= na) return \(fail(id, .indexOutOfRange, "(double)\(b(idx))[j]", "(double)na"));"
        )
        if let g = grad {
          w.line(
            "for (int64_t k = 0; k < inner; k++) \(b(id))[(o * na + v) * inner + k] += \(b(g))[(o * m + j) * inner + k];"
          )
        } else {
          w.line("memcpy(\(b(id)) + (o * m + j) * inner, \(b(x)) + (o * na + v) * inner, sizeof(\(ct)) * inner);")
        }
      }
    }
  }
}
