import Graph
import SketchRuntime

/// Work that depends only on sequences moves out of the loop as one batched op over all steps:
/// `x[t]·W` for every t becomes one matrix product `X·W` before the loop (X reshaped to
/// `[T·B, I]`), read back in the loop as a new sequence.
///
/// Only what feeds such a product is moved (elementwise ops, casts, slices, transposes, reshapes,
/// concatenations and reductions of the slices, lifted to carry the time axis in front): elementwise
/// work alone is as cheap inside the loop and would cost a stored `[T, ...]` value outside.
enum HoistSequences {
  static let pass = Pass("hoist-sequences", "move sequence-only products out of loops as one batched matmul") {
    g, ctx in
    try transformLoops(g, &ctx, hoistLoop)
  }

  static func hoistLoop(_ e: GraphEditor, _ loop: Loop, _ ctx: inout PassContext) throws {
    let body = loop.body
    let variant = loop.variant
    let stepVarying = dependents(body, Set([loop.indexSlot] + (0..<loop.nC).map(loop.carrySlot)))
    let seqSlots = Set((0..<loop.nS).map(loop.sequenceSlot))
    // Sequence-only nodes that can be lifted.
    var lift = [Bool](repeating: false, count: body.nodes.count)
    for (i, node) in body.nodes.enumerated() {
      if seqSlots.contains(i) {
        lift[i] = true
        continue
      }
      guard variant[i], !stepVarying[i], liftable(node, body, lift, variant) else { continue }
      lift[i] = true
    }
    // The products to batch, and what they read.
    let targets = body.nodes.indices.filter { i in
      guard lift[i], !seqSlots.contains(i), case .matmul(false, _) = body.nodes[i].op else { return false }
      return body.nodes[body.nodes[i].inputs[0]].type.rank == 2 && lift[body.nodes[i].inputs[0]]
        && !variant[body.nodes[i].inputs[1]] && body.nodes[body.nodes[i].inputs[1]].type.rank == 2
    }
    guard !targets.isEmpty else { return }
    let moved = ancestors(body, targets).filter { lift[$0] && !seqSlots.contains($0) }
    let users = loop.bodyUsers
    let outputs = Set(body.outputs)
    let frontier = moved.sorted().filter { i in outputs.contains(i) || users[i].contains { !moved.contains($0) } }
    guard !frontier.isEmpty else { return }

    // The lifted values, [T, ...], in the enclosing graph.
    var lifted: [Int: Int] = [:]
    for (k, i) in (0..<loop.nS).map(loop.sequenceSlot).enumerated() { lifted[i] = loop.sequences[k] }
    var memo: [Int: Int] = [:]
    for i in moved.sorted() {
      lifted[i] = try liftNode(i, e, loop, lifted, variant, &memo)
    }
    let b = GraphEditor(body)
    var names: [String] = []
    var newSlots: [Int] = []
    for (k, f) in frontier.enumerated() {
      let name = "batched\(k)" + (body.nodes[f].name.map { ":\($0)" } ?? "")
      let s = b.addPlaceholder(name, body.nodes[f].type, location: body.nodes[f].location)
      b.replace(f, with: s)
      names.append(name)
      newSlots.append(s)
    }
    let nS = loop.nS
    b.inputs = Array(b.inputs[..<(1 + nS)]) + newSlots + Array(b.inputs[(1 + nS)...])
    var l = loop
    l.sequences += frontier.map { lifted[$0]! }
    l.sequenceNames += names
    let m = try l.add(to: e, body: b.finish())
    e.replace(loop.node, with: m)
    ctx.count("batched products", targets.count)
  }

  /// Whether a sequence-only node can be computed for all steps at once.
  static func liftable(_ n: FunctionGraph.Node, _ body: FunctionGraph, _ lift: [Bool], _ variant: [Bool]) -> Bool {
    // Every operand is lifted or invariant; lifted operands of elementwise ops have the result's rank
    // (so that the time axis lines up), invariant ones broadcast from the right as before.
    let ok = n.inputs.allSatisfy { lift[$0] || !variant[$0] }
    guard ok, n.inputs.contains(where: { lift[$0] }) else { return false }
    switch n.op {
    case .unary, .cast, .select, .binary:
      return n.inputs.allSatisfy { !lift[$0] || body.nodes[$0].type.rank == n.type.rank }
    case .slice, .transpose, .reduce:
      return lift[n.inputs[0]]
    case .reshape:
      return lift[n.inputs[0]]
    case .concat(let axis):
      // The parts of a layer's input `[x, hˡ⁻¹, w]` (sequences once the loops are split): every part
      // lifted, joined along the same axis after the time axis.
      return axis >= 0 && n.inputs.allSatisfy { lift[$0] }
    case .matmul(false, _):
      return lift[n.inputs[0]] && !variant[n.inputs[1]] && body.nodes[n.inputs[0]].type.rank == 2
        && body.nodes[n.inputs[1]].type.rank == 2
    // Not lifted (yet): a new op starts here until its lifted form is written in liftNode.
    case .matmul(true, _), .input, .constant, .shared, .argmax, .broadcast, .updateSlice, .concatPart,
      .take, .takeGrad, .takeAlong, .takeAlongGrad, .oneHot, .arange, .cumsum, .size, .stopGradient, .clipGradient, .random, .foldKey, .scan, .tupleElement, .fused, .gemm:
      return false
    }
  }

  /// The lifted version of body node `i` (its inputs already lifted or invariant).
  static func liftNode(
    _ i: Int, _ e: GraphEditor, _ loop: Loop, _ lifted: [Int: Int], _ variant: [Bool], _ memo: inout [Int: Int]
  ) throws -> Int {
    let node = loop.body.nodes[i]
    let loc = node.location
    func operand(_ j: Int) throws -> Int {
      if let l = lifted[j] { return l }
      guard let c = try loop.copyOut(j, e, variant, &memo) else {
        throw OptimizerError("hoist-sequences: operand varies")
      }
      return c
    }
    let ins = try node.inputs.map(operand)
    switch node.op {
    case .unary, .cast, .select, .binary:
      return try e.add(node.op, ins, location: loc)
    case .slice(let r):
      return try e.add(.slice([.all] + r), ins, location: loc)
    case .transpose(let p):
      return try e.add(.transpose([0] + p.map { $0 + 1 }), ins, location: loc)
    case .concat(let axis):
      return try e.add(.concat(axis: axis + 1), ins, location: loc)
    case .reduce(let f, let axes, let keep):
      return try e.add(.reduce(f, axes: axes.map { $0 + 1 }, keepDims: keep), ins, location: loc)
    case .reshape(let items):
      // The time axis from the lifted operand, then the items with lifted references shifted by one.
      let refs = [ins[0]] + ins.dropFirst()
      let shifted: [ShapeItem] = items.map { item in
        guard case .dimOf(let r, let a) = item else { return item }
        return .dimOf(input: r + 1, axis: lifted[node.inputs[r]] != nil ? a + 1 : a)
      }
      return try e.add(.reshape([.dimOf(input: 1, axis: 0)] + shifted), [ins[0]] + refs, location: loc)
    case .matmul(_, let tb):
      // [T, B, I] → [T·B, I] · W → [T, B, N].
      let x = ins[0]
      let xt = e.type(x)
      let inner: ShapeItem = xt.shape[2].fixedValue.map { .fixed($0) } ?? .dimOf(input: 1, axis: 2)
      let flat = try e.add(
        .reshape([.infer, inner]), inner == .dimOf(input: 1, axis: 2) ? [x, x] : [x], location: loc)
      let p = try e.add(.matmul(transposeA: false, transposeB: tb), [flat, ins[1]], location: loc)
      let nDim = e.type(p).shape[1]
      let last: ShapeItem = nDim.fixedValue.map { .fixed($0) } ?? .dimOf(input: 2, axis: tb ? 0 : 1)
      return try e.add(
        .reshape([.dimOf(input: 1, axis: 0), .dimOf(input: 1, axis: 1), last]), [p, x, ins[1]], location: loc)
    case .input, .constant, .shared, .argmax, .broadcast, .updateSlice, .concatPart, .take, .takeGrad, .takeAlong, .takeAlongGrad, .oneHot, .arange, .cumsum, .size,
      .stopGradient, .clipGradient, .random, .foldKey, .scan, .tupleElement, .fused, .gemm:
      throw OptimizerError("hoist-sequences: \(node.op.name) cannot be lifted")
    }
  }
}
