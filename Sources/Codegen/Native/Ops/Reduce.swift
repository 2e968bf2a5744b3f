import Graph
import SketchRuntime

/// The C lowering of `reduce`, `argmax` and `size` (their other facets: `Graph/Ops/Reduce.swift`).
extension CEmitter {
  func emitReduce(_ f: ReduceFn, axes: [Int], id: Int, ins: [Int], into w: inout CWriter) {
    let sfx = Self.suffix(layout.dtype[id])
    let x = ins[0]
    let R = layout.rank[x]
    let name = "sk_\(f.rawValue)_\(sfx)"
    w.block("") { w in
      w.line("int64_t kd[\(R)], ks[\(R)], os[\(R)];")
      w.line("for (int i = 0; i < \(R); i++) kd[i] = \(dims(x))[i];")
      for a in axes { w.line("kd[\(a)] = 1;") }
      w.line("sk_strides(\(R), kd, ks);")
      w.line("for (int i = 0; i < \(R); i++) os[i] = ks[i];")
      for a in axes { w.line("os[\(a)] = 0;") }
      w.line("\(name)(\(b(id)), \(b(x)), \(R), \(dims(x)), os, \(n(id)));")
    }
  }

  func emitArgmax(axis: Int, id: Int, ins: [Int], into w: inout CWriter) {
    let x = ins[0]
    let R = layout.rank[x]
    let outer = axis == 0 ? "1" : (0..<axis).map { dim(x, $0) }.joined(separator: " * ")
    let inner = axis == R - 1 ? "1" : ((axis + 1)..<R).map { dim(x, $0) }.joined(separator: " * ")
    w.line("sk_argmax_\(Self.suffix(layout.dtype[x]))(\(b(id)), \(b(x)), \(outer), \(dim(x, axis)), \(inner));")
  }

  func emitSize(axes: [Int], id: Int, ins: [Int], into w: inout CWriter) {
    let ct = Self.ctype(layout.dtype[id])
    let prod = axes.isEmpty ? "1" : axes.map { dim(ins[0], $0) }.joined(separator: " * ")
    w.line("\(b(id))[0] = (\(ct))(\(prod));")
  }
}
