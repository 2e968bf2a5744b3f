import Graph
import Runtime

/// A slice read in place by the elementwise loops that consume it (no copy is made).
struct SliceView {
  /// The buffer the slice reads.
  var source: Int
  var ranges: [SliceRange]
}

extension CEmitter {
  /// The slices whose every consumer is an elementwise loop of the same graph and that are not graph
  /// outputs: those loops read the slice's source with its offset and strides, so the slice itself is
  /// never materialized (the gate blocks of an LSTM's pre-activation, the parameter blocks of the
  /// mixture density).
  static func sliceViews(_ layout: NativeLayout) -> [Int: SliceView] {
    var views: [Int: SliceView] = [:]
    for (g, graph) in layout.graphs.enumerated() {
      var consumers = Array(repeating: [Int](), count: graph.nodes.count)
      for (j, node) in graph.nodes.enumerated() { for i in node.inputs { consumers[i].append(j) } }
      let outputs = Set(graph.outputs)
      for (j, node) in graph.nodes.enumerated() {
        guard case .slice(let ranges) = node.op, !outputs.contains(j), !consumers[j].isEmpty else { continue }
        let elementwise = consumers[j].allSatisfy { c in
          switch graph.nodes[c].op {
          case .unary, .binary, .select, .cast, .fused: return true
          default: return false
          }
        }
        if elementwise { views[layout.id(g, j)] = SliceView(source: layout.id(g, node.inputs[0]), ranges: ranges) }
      }
    }
    return views
  }

  /// out[i] = expr(inputs at i) with numpy broadcasting (see ``elementwiseMulti``).
  func elementwise(_ out: Int, _ ins: [Int], into w: inout CWriter, _ expr: ([String]) -> String) {
    elementwiseMulti(out, ins, into: &w) { x in ("", [(out, expr(x))]) }
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
  /// pairs stored at each element.
  func elementwiseMulti(
    _ shapeOf: Int, _ ins: [Int], into w: inout CWriter, _ body: ([String]) -> (String, [(Int, String)])
  ) {
    let (stmts, stores) = body(ins.indices.map { "x\($0)" })
    let R = layout.rank[shapeOf]
    let outType = layout.types[shapeOf]
    var outBuffers: [Int] = []
    for (b, _) in stores where !outBuffers.contains(b) { outBuffers.append(b) }
    let ctype = { (id: Int) in Self.ctype(self.layout.dtype[id]) }
    var access: [Access] = []
    for id in ins {
      let t = layout.types[id]
      let stretchesLast = t.rank > 0 && R > 0 && t.shape[t.rank - 1].isOne && !outType.shape[R - 1].isOne
      if outBuffers.contains(id) {
        access.append(.flat)  // read in place, at the index it is written
      } else if let v = views[id] {
        if t.rank == 0 { access.append(.scalar); continue }
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
    var params = ["int64_t n"] + outBuffers.map { "\(ctype($0))* restrict q\($0)" }
    var loads: [String] = []
    for (k, id) in ins.enumerated() {
      let ct = ctype(id)
      if outBuffers.contains(id) { loads.append("const \(ct) x\(k) = q\(id)[j];"); continue }
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
    let loop = "sk_loop_\(shapeOf)"
    var h = CWriter()
    h.block("static inline __attribute__((always_inline)) void \(loop)(\(params.joined(separator: ", ")))") { h in
      let store = stores.map { "q\($0.0)[j] = \($0.1);" }.joined(separator: " ")
      h.line("for (int64_t j = 0; j < n; j++) { \(loads.joined(separator: " ")) \(stmts) \(store) }")
    }
    w.helper(h.text)
    // Arguments of a call for the elements starting at output index `i` with input offsets `offset(k)`.
    func arguments(_ count: String, _ i: String, _ offset: (Int) -> String) -> String {
      var a = [count] + outBuffers.map { "(\(ctype($0))*)B[\($0)] + \(i)" }
      for (k, id) in ins.enumerated() where !outBuffers.contains(id) {
        let ct = ctype(id)
        let p = "((const \(ct)*)B[\(views[id]?.source ?? id)])"
        switch access[k] {
        case .scalar: a.append("\(p)[\(views[id] != nil ? "vb\(k)" : "0")]")
        case .strided(.zero): a.append("\(p)[\(offset(k))]")
        case .flat, .strided(.one): a.append("\(p) + \(offset(k))")
        case .strided(.runtime): a.append("\(p) + \(offset(k)), s\(k)[\(R - 1)]")
        }
      }
      return a.joined(separator: ", ")
    }
    w.block("") { w in
      for (k, id) in ins.enumerated() {
        guard let v = views[id] else { continue }
        emitViewOffsets(k: k, view: id, v, into: &w)
      }
      if R == 0 {
        w.line("\(loop)(\(arguments("1", "0") { _ in "0" }));")
        return
      }
      w.line("const int64_t n = \(n(shapeOf));")
      let flat = access.allSatisfy { a in
        switch a { case .scalar, .flat: return true; case .strided: return false }
      }
      if flat {
        w.line("\(loop)(\(arguments("n", "0") { _ in "0" }));")
        return
      }
      w.block("if (n > 0)") { w in
        let od = dims(shapeOf)
        var offsets: [String] = []
        var moving: [Int] = []
        for (k, id) in ins.enumerated() where !outBuffers.contains(id) {
          switch access[k] {
          case .scalar: continue
          case .flat:
            w.line("int64_t s\(k)[\(R)]; sk_strides(\(R), \(od), s\(k));")
            offsets.append("o\(k) = 0")
          case .strided:
            if views[id] != nil {
              w.line("int64_t s\(k)[\(R)]; sk_vstrides(\(R), \(layout.rank[id]), \(dims(id)), vst\(k), s\(k));")
              offsets.append("o\(k) = vb\(k)")
            } else {
              w.line("int64_t s\(k)[\(R)]; sk_bstrides(\(R), \(od), \(layout.rank[id]), \(dims(id)), s\(k));")
              offsets.append("o\(k) = 0")
            }
          }
          moving.append(k)
        }
        if !offsets.isEmpty { w.line("int64_t " + offsets.joined(separator: ", ") + ";") }
        w.line("int64_t ix[\(R)]; memset(ix, 0, sizeof ix);")
        w.line("const int64_t inner = \(dim(shapeOf, R - 1));")
        w.block("for (int64_t i = 0; i < n; i += inner)") { w in
          w.line("\(loop)(\(arguments("inner", "i") { "o\($0)" }));")
          if R > 1 {
            let adv = moving.map { "o\($0) += s\($0)[d];" }.joined(separator: " ")
            let back = moving.map { "o\($0) -= s\($0)[d] * \(od)[d];" }.joined(separator: " ")
            w.line("for (int d = \(R - 2); d >= 0; d--) { ix[d]++; \(adv) if (ix[d] < \(od)[d]) break; \(back) ix[d] = 0; }")
          }
        }
      }
    }
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
