import Graph
import SketchRuntime

/// The C lowering of `take` and `takeGrad` (their other facets: `Graph/Ops/Take.swift`).
extension CEmitter {
  /// The C expressions of the element counts of buffer `x` before and after `axis` (the outer and
  /// inner loops of an op along one axis).
  func aroundAxis(_ x: Int, _ axis: Int) -> (outer: String, inner: String) {
    let R = layout.rank[x]
    let outer = axis == 0 ? "1" : (0..<axis).map { dim(x, $0) }.joined(separator: " * ")
    let inner = axis == R - 1 ? "1" : ((axis + 1)..<R).map { dim(x, $0) }.joined(separator: " * ")
    return (outer, inner)
  }

  func emitTake(id: Int, x: Int, idx: Int, axis: Int, grad: Int?, into w: inout CWriter) {
    let (outer, inner) = aroundAxis(x, axis)
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
