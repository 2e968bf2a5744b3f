import Graph
import SketchRuntime

/// A slice read in place by the elementwise loops that consume it (no copy is made).
struct SliceView {
  /// The buffer the slice reads.
  var source: Int
  var ranges: [SliceRange]
}

extension CEmitter {
  /// Every graph's aliasing (Optimizer's ``Aliasing``, the analysis the memory plan uses too) in buffer
  /// ids: the slices read in place, the loop results written into a concatenation, and the
  /// concatenations so filled.
  static func aliasing(_ layout: NativeLayout) -> (
    views: [Int: SliceView], parts: [Int: (concat: Int, index: Int)], filled: Set<Int>
  ) {
    var views: [Int: SliceView] = [:]
    var parts: [Int: (concat: Int, index: Int)] = [:]
    var filled = Set<Int>()
    for (g, graph) in layout.graphs.enumerated() {
      let a = layout.aliasing[g]
      for (j, v) in a.views { views[layout.id(g, j)] = SliceView(source: layout.id(g, v.source), ranges: v.ranges) }
      for (p, c) in a.concatParts { parts[layout.id(g, p)] = (layout.id(g, c.concat), c.index) }
      for c in a.filledConcats { filled.insert(layout.id(g, c)) }
      _ = graph
    }
    return (views, parts, filled)
  }

  /// out[i] = expr(inputs at i) with numpy broadcasting (see ``elementwiseMulti``).
  func elementwise(_ out: Int, _ ins: [Int], cost: Int, into w: inout CWriter, _ expr: ([String]) -> String) {
    elementwiseMulti(out, ins, cost: cost, into: &w) { x in ("", [(out, expr(x))]) }
  }

  /// How an elementwise loop reads one input.
  private enum Access {
    /// One element, loaded once before the loop.
    case scalar
    /// The same index as the output (same shape, nothing stretches).
    case flat
    /// An odometer over the outer axes; the inner (last) axis has stride 0, 1 or one known at run time.
    case strided(inner: InnerStride)
    enum InnerStride { case zero, one, runtime }
  }

  /// One loop over the shape of buffer `shapeOf`: a flat loop when every input is read at the output's
  /// index or is a scalar, else an odometer over the outer axes around an inner loop whose input strides
  /// are known statically wherever Theano's broadcasting rule says (only dims statically 1 stretch).
  /// Inputs that are slice views are read in place. The loop itself is a file-scope function
  /// `sk_loop_<shapeOf>` whose pointer parameters are `restrict` (gcc vectorizes it without run-time
  /// alias checks, which it gives up on past ten pointers; no buffer a loop writes is read through
  /// another name). `body(input names)` returns the statements defining values and the (buffer, value)
  /// pairs stored at each element. `cost` is the work per element (``Kernel/cost``): the loop is split
  /// across the worker threads in chunks of SK_CHUNK_WORK (elements × cost) at least.
  func elementwiseMulti(
    _ shapeOf: Int, _ ins: [Int], cost: Int, into w: inout CWriter, _ body: ([String]) -> (String, [(Int, String)])
  ) {
    let (stmts, stores) = body(ins.indices.map { "x\($0)" })
    let R = layout.rank[shapeOf]
    let outType = layout.types[shapeOf]
    var outBuffers: [Int] = []
    for (b, _) in stores where !outBuffers.contains(b) { outBuffers.append(b) }
    let ctype = { (id: Int) in Self.ctype(self.layout.dtype[id]) }
    // An input read where it is written: an output itself, or a slice of a loop's sequence that this
    // loop overwrites element by element (``inPlaceReads``), read through the output's pointer.
    let readsOutput = { (id: Int) -> Int? in
      if outBuffers.contains(id) { return id }
      if let b = self.inPlaceReads[id], outBuffers.contains(b) { return b }
      return nil
    }
    var access: [Access] = []
    for id in ins {
      let t = layout.types[id]
      let stretchesLast = t.rank > 0 && R > 0 && t.shape[t.rank - 1].isOne && !outType.shape[R - 1].isOne
      if readsOutput(id) != nil {
        access.append(.flat)  // read in place, at the index it is written
      } else if let v = views[id] {
        if t.rank == 0 {
          access.append(.scalar)
          continue
        }
        let xr = layout.rank[v.source]
        let kept = (0..<xr).filter { i in !(i < v.ranges.count && v.ranges[i].isIndex) }
        let last = kept.last!
        let step = last < v.ranges.count ? v.ranges[last].step : 1
        access.append(.strided(inner: stretchesLast ? .zero : (last == xr - 1 && step == 1 ? .one : .runtime)))
      } else if t.rank == 0 {
        access.append(.scalar)
      } else if t.rank == R && !zip(t.shape, outType.shape).contains(where: { $0.isOne && !$1.isOne }) {
        access.append(.flat)
      } else {
        access.append(.strided(inner: stretchesLast ? .zero : .one))
      }
    }
    // The loop function: n elements, output pointers, then per input a value, a pointer, or a pointer
    // and a stride.
    // Outputs are named by position (q0, q1...) and the helpers by a hash of their text, so that
    // nodes with the same kernel on other buffers share them (an Adam update per parameter).
    let q = { (b: Int) in "q\(outBuffers.firstIndex(of: b)!)" }
    var params = ["int64_t n"] + outBuffers.map { "\(ctype($0))* restrict \(q($0))" }
    var loads: [String] = []
    for (k, id) in ins.enumerated() {
      let ct = ctype(id)
      if let o = readsOutput(id) {
        loads.append("const \(ct) x\(k) = \(q(o))[j];")
        continue
      }
      switch access[k] {
      case .scalar, .strided(.zero): params.append("const \(ct) x\(k)")
      case .flat, .strided(.one):
        params.append("const \(ct)* restrict p\(k)")
        loads.append("const \(ct) x\(k) = p\(k)[j];")
      case .strided(.runtime):
        params.append("const \(ct)* restrict p\(k)")
        params.append("const int64_t t\(k)")
        loads.append("const \(ct) x\(k) = p\(k)[j * t\(k)];")
      }
    }
    // The loop runs through a task over a range of elements (flat) or of rows (strided): called
    // directly, or split across the worker threads when the work is big enough.
    let intoConcat = outBuffers.contains { concatParts[$0] != nil }
    let flat =
      R == 0
      || (!intoConcat
        && access.allSatisfy { a in
          switch a {
          case .scalar, .flat: return true
          case .strided: return false
          }
        })
    let moving = ins.indices.filter { k in
      if readsOutput(ins[k]) != nil { return false }
      if case .scalar = access[k] { return false }
      return true
    }
    // The helpers' text for a name suffix: named by a hash of the text with the neutral suffix "@",
    // then written again with that name.
    func helperText(_ suffix: String) -> String {
      let loop = "sk_loop_" + suffix
      var h = CWriter()
      h.block("static inline __attribute__((always_inline)) void \(loop)(\(params.joined(separator: ", ")))") { h in
        let store = stores.map { "\(q($0.0))[j] = \($0.1);" }.joined(separator: " ")
        h.line("for (int64_t j = 0; j < n; j++) { \(loads.joined(separator: " ")) \(stmts) \(store) }")
      }
      let task = "sk_task_" + suffix
      let args = "sk_args_" + suffix
      var fields = outBuffers.map { "\(ctype($0))* \(q($0));" }
      for (k, id) in ins.enumerated() where readsOutput(id) == nil {
        switch access[k] {
        case .scalar: fields.append("\(ctype(id)) x\(k);")
        default: fields.append("const \(ctype(id))* p\(k);" + (flat ? "" : " int64_t s\(k)[\(Swift.max(R, 1))];"))
        }
      }
      if !flat {
        fields.append("const int64_t* od;")
        // Each output's row stride: the row length, or the concatenation's when it writes into one.
        fields += outBuffers.map { "int64_t \(q($0))s;" }
      }
      h.line("typedef struct { \(fields.joined(separator: " ")) } \(args);")
      // Loop arguments: `count` elements, each output from `output(its name)`, inputs at `offset(k)`.
      func arguments(_ count: String, _ output: (String) -> String, _ offset: (Int) -> String) -> String {
        var a = [count] + outBuffers.map { output(q($0)) }
        for (k, id) in ins.enumerated() where readsOutput(id) == nil {
          switch access[k] {
          case .scalar: a.append("a->x\(k)")
          case .strided(.zero): a.append("a->p\(k)[\(offset(k))]")
          case .flat, .strided(.one): a.append("a->p\(k) + \(offset(k))")
          case .strided(.runtime): a.append("a->p\(k) + \(offset(k)), a->s\(k)[\(R - 1)]")
          }
        }
        return a.joined(separator: ", ")
      }
      h.block("static __attribute__((noinline)) void \(task)(void* v, int64_t lo, int64_t hi)") { h in
        h.line("const \(args)* a = (const \(args)*)v;")
        if flat {
          h.line("\(loop)(\(arguments("hi - lo", { "a->\($0) + lo" }) { _ in "lo" }));")
          return
        }
        // Rows lo..<hi: the offsets of row lo from its index, then an odometer over the outer axes.
        let outer = Swift.max(R - 1, 1)
        // A row length known statically is a constant: short rows (the 2 coordinates of a mixture
        // component) become straight-line code instead of a loop call per row.
        h.line(
          "const int64_t inner = \(outType.shape[R - 1].fixedValue.map { "(int64_t)\($0)" } ?? "a->od[\(R - 1)]");")
        h.line("int64_t ix[\(outer)] = {0};")
        if !moving.isEmpty { h.line("int64_t " + moving.map { "o\($0) = 0" }.joined(separator: ", ") + ";") }
        if R > 1 {
          let add = moving.map { "o\($0) += ix[d] * a->s\($0)[d];" }.joined(separator: " ")
          h.line(
            "{ int64_t rem = lo; for (int d = \(R - 2); d >= 0; d--) { ix[d] = rem % a->od[d]; rem /= a->od[d]; \(add) } }"
          )
        }
        h.block("for (int64_t r = lo; r < hi; r++)") { h in
          h.line("\(loop)(\(arguments("inner", { "a->\($0) + r * a->\($0)s" }) { "o\($0)" }));")
          if R > 1 {
            let adv = moving.map { "o\($0) += a->s\($0)[d];" }.joined(separator: " ")
            let back = moving.map { "o\($0) -= a->s\($0)[d] * a->od[d];" }.joined(separator: " ")
            h.line(
              "for (int d = \(R - 2); d >= 0; d--) { ix[d]++; \(adv) if (ix[d] < a->od[d]) break; \(back) ix[d] = 0; }")
          }
        }
      }
      return h.text
    }
    let name = Self.fnv1a(helperText("@"))
    let task_ = "sk_task_" + name
    let args_ = "sk_args_" + name
    w.helper(name: name, helperText(name))
    w.block("") { w in
      for (k, id) in ins.enumerated() {
        guard let v = views[id] else { continue }
        emitViewOffsets(k: k, view: id, v, into: &w)
      }
      w.line("const int64_t n = \(R == 0 ? "1" : n(shapeOf));")
      w.line("if (n <= 0) return 0;")
      w.line("\(args_) a;")
      for b in outBuffers {
        if let (c, index) = concatParts[b] {
          // Its rows start at the widths of the parts before it, with the concatenation's row stride.
          let before = concatInputs(c).prefix(index).map { dim($0, R - 1) }
          let offset = before.isEmpty ? "0" : before.joined(separator: " + ")
          w.line("a.\(q(b)) = (\(ctype(b))*)B[\(c)] + \(offset); a.\(q(b))s = \(dim(c, R - 1));")
        } else {
          w.line("a.\(q(b)) = (\(ctype(b))*)B[\(b)];")
          if !flat { w.line("a.\(q(b))s = \(dim(shapeOf, R - 1));") }
        }
      }
      let od = dims(shapeOf)
      for (k, id) in ins.enumerated() where readsOutput(id) == nil {
        let p = "((const \(ctype(id))*)B[\(views[id]?.source ?? id)])"
        let base = views[id] != nil ? "vb\(k)" : "0"
        switch access[k] {
        case .scalar:
          w.line("a.x\(k) = \(p)[\(base)];")
        case .flat:
          w.line("a.p\(k) = \(p);")
          if !flat { w.line("sk_strides(\(R), \(od), a.s\(k));") }
        case .strided:
          w.line("a.p\(k) = \(p) + \(base);")
          if views[id] != nil {
            w.line("sk_vstrides(\(R), \(layout.rank[id]), \(dims(id)), vst\(k), a.s\(k));")
          } else {
            w.line("sk_bstrides(\(R), \(od), \(layout.rank[id]), \(dims(id)), a.s\(k));")
          }
        }
      }
      if flat {
        w.line("sk_parallel(\(task_), &a, n, (double)n * \(cost));")
      } else {
        w.line("a.od = \(od);")
        w.line("const int64_t rows = n / \(dim(shapeOf, R - 1));")
        w.line("sk_parallel(\(task_), &a, rows, (double)n * \(cost));")
      }
    }
  }

  /// A 64-bit FNV-1a hash of `text`, in hex: the name of a shared helper.
  static func fnv1a(_ text: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      h ^= UInt64(byte)
      h = h &* 0x0000_0100_0000_01b3
    }
    return String(h, radix: 16)
  }

  /// The C conversion of `x` from dtype `s` to `t`, as ``Tensor/cast(to:)`` converts.
  func castExpr(from s: DType, to t: DType, _ x: String) -> String {
    if t == .bool { return "(uint8_t)(\(x) != 0)" }
    if t == .int32 && s.isFloatingPoint { return "sk_f2i((double)\(x))" }
    return "(\(Self.ctype(t)))\(x)"
  }

  /// The buffers of a concatenation node's inputs.
  func concatInputs(_ c: Int) -> [Int] {
    let g = layout.base.lastIndex { $0 <= c }!
    return layout.graphs[g].nodes[c - layout.base[g]].inputs.map { layout.id(g, $0) }
  }

  /// `vb<k>`, the offset of a slice view's first element in its source, and `vst<k>`, its strides.
  private func emitViewOffsets(k: Int, view id: Int, _ v: SliceView, into w: inout CWriter) {
    let x = v.source
    let xr = layout.rank[x]
    let aux = layout.auxOffset[id]
    w.line("int64_t vb\(k) = 0, vst\(k)[\(Swift.max(layout.rank[id], 1))];")
    w.block("") { w in
      w.line("int64_t s[\(Swift.max(xr, 1))]; sk_strides(\(xr), \(dims(x)), s);")
      var j = 0
      for i in 0..<xr {
        w.line("vb\(k) += P[\(aux + i)] * s[\(i)];")
        let r = i < v.ranges.count ? v.ranges[i] : .all
        if !r.isIndex {
          w.line("vst\(k)[\(j)] = \(r.step) * s[\(i)];")
          j += 1
        }
      }
    }
  }
}

extension CEmitter {
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
}
