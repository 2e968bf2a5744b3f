import Graph
import SketchRuntime

/// The C lowering of `oneHot` (its other facets: `Graph/Ops/OneHot.swift`).
extension CEmitter {
  func emitOneHot(depth: Int, id: Int, ins: [Int], into w: inout CWriter) {
    let ct = Self.ctype(layout.dtype[id])
    w.block("") { w in
      w.line("memset(\(b(id)), 0, sizeof(\(ct)) * \(n(id)));")
      w.block("for (int64_t q = 0; q < \(n(ins[0])); q++)") { w in
        w.line("const int64_t v = \(b(ins[0]))[q];")
        w.line("if (v >= 0 && v < \(depth)) \(b(id))[q * \(depth) + v] = \(Self.literal(1, layout.dtype[id]));")
      }
    }
  }
}
