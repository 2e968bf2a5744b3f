import Graph
import SketchRuntime

/// The C lowering of `cumsum` (its other facets: `Graph/Ops/Cumsum.swift`): the sums run in the same
/// order as the interpreter's (int32 wraps around, as there).
extension CEmitter {
  func emitCumsum(axis: Int, reverse: Bool, id: Int, ins: [Int], into w: inout CWriter) {
    let x = ins[0]
    let (outer, inner) = aroundAxis(x, axis)
    let isInt = layout.dtype[id] == .int32
    w.block("") { w in
      w.line("const int64_t outer = \(outer), na = \(dim(x, axis)), inner = \(inner);")
      w.block("for (int64_t o = 0; o < outer; o++) for (int64_t k = 0; k < inner; k++)") { w in
        w.line("const int64_t base = o * na * inner + k;")
        w.block("for (int64_t jj = 0; jj < na; jj++)") { w in
          w.line("const int64_t j = \(reverse ? "na - 1 - jj" : "jj"), p = \(reverse ? "j + 1" : "j - 1");")
          let prev = "\(b(id))[base + p * inner]"
          let cur = "\(b(x))[base + j * inner]"
          let sum = isInt ? "(int32_t)((uint32_t)\(prev) + (uint32_t)\(cur))" : "\(prev) + \(cur)"
          w.line("\(b(id))[base + j * inner] = jj == 0 ? \(cur) : \(sum);")
        }
      }
    }
  }
}
