import Graph
import SketchRuntime

/// The C lowering of the random draws and `foldKey` (their other facets: `Graph/Ops/Random.swift`):
/// the Philox streams of the shared scalar header (`CSketchScalar`), so both backends draw the same.
extension CEmitter {
  func emitRandom(_ r: RandomOp, id: Int, ins: [Int], into w: inout CWriter) {
    let ct = Self.ctype(layout.dtype[id])
    let key = b(ins[0])
    switch r {
    case .uniform(let d, _):
      w.line(
        "for (int64_t i = 0; i < \(n(id)); i++) \(b(id))[i] = \(d == .float32 ? "sk_uniform32" : "sk_uniform64")(\(key), (uint64_t)i);"
      )
    case .normal:
      w.line("for (int64_t i = 0; i < \(n(id)); i++) \(b(id))[i] = (\(ct))sk_normal(\(key), (uint64_t)i);")
    case .bernoulli:
      w.line(
        "for (int64_t i = 0; i < \(n(id)); i++) \(b(id))[i] = sk_uniform64(\(key), (uint64_t)i) < (double)\(b(ins[1]))[i];"
      )
    case .categorical:
      let p = ins[1]
      let K = dim(p, layout.rank[p] - 1)
      w.line("if (\(K) < 1) return \(fail(id, .emptyCategorical));")
      w.line(
        "for (int64_t i = 0; i < \(n(p)); i++) { double v = (double)\(b(p))[i]; if (v < 0 || v != v) return \(fail(id, .badProbability, "v"));}"
      )
      w.line("sk_categorical_\(Self.suffix(layout.dtype[p]))(\(b(id)), \(b(p)), \(n(id)), \(K), \(key));")
    }
  }

  func emitFoldKey(id: Int, ins: [Int], into w: inout CWriter) {
    w.line("sk_fold(\(b(ins[0])), (uint64_t)(uint32_t)\(b(ins[1]))[0], \(b(id)));")
  }
}
