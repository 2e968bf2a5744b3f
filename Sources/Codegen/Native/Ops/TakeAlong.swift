import Graph
import SketchRuntime

/// The C lowering of `takeAlong` and `takeAlongGrad` (their other facets: `Graph/Ops/TakeAlong.swift`).
/// The size plan has already checked that the indices agree with x on every axis but `axis`.
extension CEmitter {
  func emitTakeAlong(id: Int, x: Int, idx: Int, axis: Int, grad: Int?, into w: inout CWriter) {
    let (outer, inner) = aroundAxis(x, axis)
    let ct = Self.ctype(layout.dtype[id])
    w.block("") { w in
      w.line("const int64_t outer = \(outer), na = \(dim(x, axis)), inner = \(inner), m = \(dim(idx, axis));")
      if grad != nil { w.line("memset(\(b(id)), 0, sizeof(\(ct)) * \(n(id)));") }
      w.block("for (int64_t o = 0; o < outer; o++) for (int64_t j = 0; j < m; j++) for (int64_t k = 0; k < inner; k++)")
      { w in
        w.line("const int64_t q = (o * m + j) * inner + k;")
        w.line(
          "int64_t v = \(b(idx))[q]; if (v < 0) v += na; if (v < 0 || v >= na) return \(fail(id, .indexOutOfRange, "(double)\(b(idx))[q]", "(double)na"));"
        )
        if let g = grad {
          w.line("\(b(id))[(o * na + v) * inner + k] += \(b(g))[q];")
        } else {
          w.line("\(b(id))[q] = \(b(x))[(o * na + v) * inner + k];")
        }
      }
    }
  }
}
