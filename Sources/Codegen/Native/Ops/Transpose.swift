import Graph
import SketchRuntime

/// The C lowering of `transpose` (its other facets: `Graph/Ops/Transpose.swift`).
extension CEmitter {
  func emitTranspose(_ perm: [Int], id: Int, ins: [Int], into w: inout CWriter) {
    let sfx = Self.suffix(layout.dtype[id])
    let x = ins[0]
    let R = perm.count
    w.block("") { w in
      w.line("int64_t s[\(R)], st[\(R)]; sk_strides(\(R), \(dims(x)), s);")
      for (d, p) in perm.enumerated() { w.line("st[\(d)] = s[\(p)];") }
      w.line("sk_gather_\(sfx)(\(b(id)), \(b(x)), \(R), \(dims(id)), st, 0);")
    }
  }
}
