import Graph
import SketchRuntime

/// The C lowering of `slice` and `updateSlice` (their other facets: `Graph/Ops/Slice.swift`). The
/// ranges are resolved at run time like `SliceRange.resolve` (the starts come from the size plan,
/// `P[...]`; the counts from `sliceCount`).
extension CEmitter {
  func emitSlice(_ ranges: [SliceRange], id: Int, ins: [Int], into w: inout CWriter) {
    let sfx = Self.suffix(layout.dtype[id])
    emitSliceAccess(id: id, x: ins[0], ranges: ranges, into: &w) { st, dimsName, kept in
      "sk_gather_\(sfx)(\(b(id)), \(b(ins[0])), \(kept), \(dimsName), \(st), base);"
    }
  }

  func emitUpdateSlice(_ ranges: [SliceRange], accumulate acc: Bool, id: Int, ins: [Int], into w: inout CWriter) {
    let sfx = Self.suffix(layout.dtype[id])
    w.line("memcpy(\(b(id)), \(b(ins[0])), sizeof(\(Self.ctype(layout.dtype[id]))) * \(n(id)));")
    let y = ins[1]
    emitSliceAccess(id: id, x: ins[0], ranges: ranges, into: &w) { st, dimsName, kept in
      "{ int64_t ys[\(Swift.max(kept, 1))]; sk_bstrides(\(kept), \(dimsName), \(layout.rank[y]), \(dims(y)), ys); "
        + "sk_\(acc ? "add" : "set")_\(sfx)(\(b(id)), \(b(y)), \(kept), \(dimsName), \(st), base, ys); }"
    }
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
}
