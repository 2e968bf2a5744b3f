import Graph
import SketchRuntime

/// The C lowering of `broadcast` (its other facets: `Graph/Ops/Broadcast.swift`).
extension CEmitter {
  func emitBroadcast(id: Int, ins: [Int], into w: inout CWriter) {
    let sfx = Self.suffix(layout.dtype[id])
    let x = ins[0]
    let R = layout.rank[id]
    w.block("") { w in
      w.line("int64_t st[\(Swift.max(R, 1))]; sk_bstrides(\(R), \(dims(id)), \(layout.rank[x]), \(dims(x)), st);")
      w.line("sk_gather_\(sfx)(\(b(id)), \(b(x)), \(R), \(dims(id)), st, 0);")
    }
  }
}
