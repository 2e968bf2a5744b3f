import Graph
import SketchRuntime

/// The C lowering of `concat` and `concatPart` (their other facets: `Graph/Ops/Concat.swift`). A
/// concatenation whose parts the memory plan placed in its own buffer (`Aliasing`) is filled by the
/// nodes that compute the parts, and emits nothing.
extension CEmitter {
  func emitConcat(axis: Int, id: Int, ins: [Int], into w: inout CWriter) {
    if filledConcats.contains(id) {
      w.line("/* filled by the loops that compute its parts */")
      return
    }
    let ct = Self.ctype(layout.dtype[id])
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
  }

  func emitConcatPart(axis: Int, id: Int, ins: [Int], into w: inout CWriter) {
    let sfx = Self.suffix(layout.dtype[id])
    let gIn = ins[0]
    let R = layout.rank[id]
    w.block("") { w in
      w.line("int64_t s[\(R)]; sk_strides(\(R), \(dims(gIn)), s);")
      w.line("sk_gather_\(sfx)(\(b(id)), \(b(gIn)), \(R), \(dims(id)), s, P[\(layout.auxOffset[id])] * s[\(axis)]);")
    }
  }
}
