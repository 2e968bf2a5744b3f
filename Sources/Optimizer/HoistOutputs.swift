import Graph
import SketchRuntime

/// A per-step output that is a product of a per-step value with a loop-invariant matrix, and that
/// nothing in the loop reads, is computed after the loop as one product: the loop outputs `δ[t]`
/// and `δ[t]·W_xᵀ` for every t becomes `Δ·W_xᵀ` (Δ flattened to `[T·B, ·]`), the input gradients
/// of a layer whose input product was inside the loop.
enum HoistOutputs {
  static let pass = Pass("hoist-outputs", "move per-step products with invariant weights after loops as one GEMM") {
    g, ctx in
    try transformLoops(g, &ctx, hoistLoop)
  }

  static func hoistLoop(_ e: GraphEditor, _ loop: Loop, _ ctx: inout PassContext) throws {
    let body = loop.body
    let variant = loop.variant
    let users = loop.bodyUsers
    let nC = loop.nC
    let proj = loop.projections(e)
    var moved: [Int: (z: Int, w: Int, tb: Bool)] = [:]
    for k in nC..<body.outputs.count where proj[k] != nil {
      let p = body.outputs[k]
      guard case .matmul(false, let tb) = body.nodes[p].op, users[p].isEmpty,
        body.outputs.filter({ $0 == p }).count == 1
      else { continue }
      let (z, w) = (body.nodes[p].inputs[0], body.nodes[p].inputs[1])
      guard variant[z], !variant[w], body.nodes[z].type.rank == 2, body.nodes[w].type.rank == 2 else { continue }
      moved[k] = (z, w, tb)
    }
    guard !moved.isEmpty else { return }
    var memo: [Int: Int] = [:]
    var weights: [Int: Int] = [:]
    for (k, mv) in moved {
      guard let w = try loop.copyOut(mv.w, e, variant, &memo) else { return }
      weights[k] = w
    }
    let b = GraphEditor(body)
    var outs = b.outputs
    var names = loop.outputNames
    for (k, mv) in moved {
      outs[k] = mv.z
      names[k - nC] += ":factor"
    }
    b.setOutputs(outs)
    var l = loop
    l.outputNames = names
    let m = try l.add(to: e, body: b.finish())
    for (k, readers) in proj.sorted(by: { $0.key < $1.key }) {
      var value = try Loop.element(e, m, k)
      if let mv = moved[k] {
        let loc = body.nodes[body.outputs[k]].location
        let x = value
        let d = e.type(x).shape[2]
        let flat =
          try d.fixedValue.map { try e.add(.reshape([.infer, .fixed($0)]), [x], location: loc) }
          ?? e.add(.reshape([.infer, .dimOf(input: 1, axis: 2)]), [x, x], location: loc)
        let p = try e.add(.matmul(transposeA: false, transposeB: mv.tb), [flat, weights[k]!], location: loc)
        let nDim = e.type(p).shape[1]
        let last: ShapeItem = nDim.fixedValue.map { .fixed($0) } ?? .dimOf(input: 2, axis: mv.tb ? 0 : 1)
        value = try e.add(
          .reshape([.dimOf(input: 1, axis: 0), .dimOf(input: 1, axis: 1), last]), [p, x, weights[k]!],
          type: e.type(readers[0]), location: loc)
        ctx.count("products moved after the loop")
      }
      for r in readers { e.replace(r, with: value) }
    }
  }
}
