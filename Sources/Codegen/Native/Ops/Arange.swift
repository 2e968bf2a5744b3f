import Graph
import SketchRuntime

/// The C lowering of `arange` (its other facets: `Graph/Ops/Arange.swift`); its length is the size
/// plan's dim 0 of the node.
extension CEmitter {
  func emitArange(id: Int, into w: inout CWriter) {
    let ct = Self.ctype(layout.dtype[id])
    w.line("for (int64_t i = 0; i < \(n(id)); i++) \(b(id))[i] = (\(ct))i;")
  }
}
