import Graph
import SketchRuntime

/// Loop fission: a loop whose carries form separate recurrences, one reading only the other's
/// values of the same step, runs as two consecutive loops, so that the second loop's products of
/// those values are products of sequences (`hoist-sequences` batches them over all steps).
///
/// The carries are grouped by dependence: carry j reads carry i when the body's new value of j
/// depends on i's value of the previous step. A split takes A, a group of carries closed under
/// "reads" (A's new values never read a carry outside A), and B, the other carries. The A loop
/// computes A's carries and every per-step output that reads no B carry, and also outputs, per
/// step, the values of its body that B reads (A's previous carries among them). The B loop reads
/// those as new sequences and computes the rest; values that only B needs are computed in B, so a
/// product `h_A[t]·W` moves into B as a product of a sequence. Random draws that A computes are
/// read by B, not drawn again. Both loops keep the direction, the step count and the mask; the
/// node's outputs are read from the loop that computes them.
///
/// A split is made only when B then holds such a product: a `matmul` whose right operand is
/// loop-invariant and whose left operand is computed from A's values and from no B carry. Of the
/// possible groups A (each recurrence with all it reads, in dependence order), the first that
/// qualifies is taken; both loops are then split again, so a stack of L layers that each read the
/// layer below at the same step becomes L loops.
enum ScanFission {
  /// The pass (`scan-fission`); it counts "split loops".
  static let pass = Pass("scan-fission", "split loops whose carries form separate recurrences into consecutive loops") {
    g, ctx in
    try fission(g, &ctx) ?? g
  }

  /// `g` with its loops split (inner loops first); nil when no loop was split.
  static func fission(_ g: FunctionGraph, _ ctx: inout PassContext) throws -> FunctionGraph? {
    let e = GraphEditor(g)
    var changed = false
    try replaceLoopBodies(e) { body -> FunctionGraph? in
      let b = try fission(body, &ctx)
      if b != nil { changed = true }
      return b
    }
    var work = e.liveNodes.filter { isTuple(e.op($0)) }.reversed().map { $0 }
    while let n = work.popLast() {
      guard let loop = Loop(e, n), let (a, b) = try split(e, loop) else { continue }
      ctx.count("split loops")
      changed = true
      work += [b, a]
    }
    return changed ? e.finish() : nil
  }

  /// How the body of a loop divides for one choice of group A.
  struct Plan {
    /// A's carries, in slot order.
    var aCarries: [Int]
    /// B's carries, in slot order.
    var bCarries: [Int]
    /// The per-step outputs A computes, as indices of the body's outputs (carries first).
    var aOutputs: [Int]
    /// The per-step outputs B computes, as indices of the body's outputs (carries first).
    var bOutputs: [Int]
    /// Body nodes that A outputs per step and B reads as sequences, in node order.
    var imports: [Int]
    /// The sequences A takes (slot indices): those it reads, those nobody reads, the mask.
    var aSequences: [Int]
    /// The sequences B takes of the loop's own (slot indices): those it reads, the mask.
    var bSequences: [Int]
  }

  /// Splits `loop` into an A loop and a B loop, returns (A, B), or nil when no split qualifies.
  static func split(_ e: GraphEditor, _ loop: Loop) throws -> (Int, Int)? {
    let body = loop.body
    let nC = loop.nC
    guard nC >= 2 else { return nil }
    // The carries each body node depends on (through the previous step's values).
    var carryDeps = [Set<Int>](repeating: [], count: body.nodes.count)
    for j in 0..<nC { carryDeps[loop.carrySlot(j)].insert(j) }
    for (i, n) in body.nodes.enumerated() {
      for k in n.inputs { carryDeps[i].formUnion(carryDeps[k]) }
    }
    // reach[j]: the carries j's recurrence reads, transitively.
    var reach = [Set<Int>](repeating: [], count: nC)
    for j in 0..<nC {
      var stack = Array(carryDeps[body.outputs[j]])
      while let i = stack.popLast() {
        guard reach[j].insert(i).inserted else { continue }
        stack.append(contentsOf: carryDeps[body.outputs[i]])
      }
    }
    // Candidate groups A: each carry with all it reads, smallest first (a dependence order).
    var seen = Set<Set<Int>>()
    let candidates = (0..<nC).map { reach[$0].union([$0]) }
      .filter { $0.count < nC && seen.insert($0).inserted }
      .sorted { ($0.count, $0.min()!) < ($1.count, $1.min()!) }
    let variant = loop.variant
    for a in candidates {
      guard let plan = self.plan(loop, a, carryDeps, variant) else { continue }
      return try build(e, loop, plan)
    }
    return nil
  }

  /// The division of `loop`'s body for group `a`, when it puts a product of A's values into B.
  static func plan(_ loop: Loop, _ a: Set<Int>, _ carryDeps: [Set<Int>], _ variant: [Bool]) -> Plan? {
    let body = loop.body
    let nC = loop.nC
    let outs = body.outputs
    let b = Set(0..<nC).subtracting(a)
    func readsA(_ v: Int) -> Bool { !carryDeps[v].isDisjoint(with: a) }
    func readsB(_ v: Int) -> Bool { !carryDeps[v].isDisjoint(with: b) }
    let aOutputs = (nC..<outs.count).filter { !readsB(outs[$0]) }
    let bOutputs = (nC..<outs.count).filter { readsB(outs[$0]) }
    let aCarries = a.sorted()
    let bCarries = b.sorted()
    let needA = ancestors(body, aCarries.map { outs[$0] } + aOutputs.map { outs[$0] })
    let aCarrySlots = Set(aCarries.map(loop.carrySlot))
    let sequenceIndex = Dictionary(uniqueKeysWithValues: (0..<loop.nS).map { (loop.sequenceSlot($0), $0) })
    // What B reads from A's body: A's carries, and what A computes from them (or draws).
    func isImport(_ v: Int) -> Bool {
      let op = body.nodes[v].op
      if isTuple(op) { return false }
      if aCarrySlots.contains(v) { return true }
      guard !readsB(v) else { return false }
      if needA.contains(v) {
        if readsA(v) { return true }
        if case .random = op { return true }
      }
      // An output of a loop inside the body that A runs.
      if case .tupleElement = op, case let l = body.nodes[v].inputs[0], isTuple(body.nodes[l].op) {
        return needA.contains(l) && readsA(l)
      }
      return false
    }
    var imports = Set<Int>()
    var computed = Set<Int>()
    var bSequences = Set<Int>()
    var stack = bCarries.map { outs[$0] } + bOutputs.map { outs[$0] }
    while let v = stack.popLast() {
      guard !imports.contains(v), !computed.contains(v) else { continue }
      if isImport(v) {
        imports.insert(v)
        continue
      }
      computed.insert(v)
      if let k = sequenceIndex[v] { bSequences.insert(k) }
      stack.append(contentsOf: body.nodes[v].inputs)
    }
    // B must hold a product that becomes a product of sequences.
    let profitable = computed.contains { v in
      let n = body.nodes[v]
      guard case .matmul(false, _) = n.op else { return false }
      let (x, w) = (n.inputs[0], n.inputs[1])
      return body.nodes[x].type.rank == 2 && body.nodes[w].type.rank == 2 && !variant[w] && readsA(x) && !readsB(x)
    }
    guard profitable else { return nil }
    // A reads its own sequences, and keeps the ones nobody reads (they check the loop's length); both
    // loops keep the mask.
    let aRead = Set((0..<loop.nS).filter { needA.contains(loop.sequenceSlot($0)) })
    var aSequences = (0..<loop.nS).filter { aRead.contains($0) || !bSequences.contains($0) }
    if aSequences.isEmpty && loop.steps == nil { aSequences = [0] }
    if let m = loop.maskIndex {
      if !aSequences.contains(m) { aSequences = (aSequences + [m]).sorted() }
      bSequences.insert(m)
    }
    return Plan(
      aCarries: aCarries, bCarries: bCarries, aOutputs: aOutputs, bOutputs: bOutputs, imports: imports.sorted(),
      aSequences: aSequences, bSequences: bSequences.sorted())
  }

  /// Adds the A loop and the B loop of `plan`, points the readers of `loop`'s outputs at them, and
  /// returns (A, B).
  static func build(_ e: GraphEditor, _ loop: Loop, _ plan: Plan) throws -> (Int, Int) {
    let body = loop.body
    let nC = loop.nC
    let outs = body.outputs
    let constantSlots = (0..<loop.nK).map(loop.constantSlot)
    // A: its carries, its per-step outputs, then the imports it does not output already.
    var aPerStep = plan.aOutputs.map { outs[$0] }
    var aNames = plan.aOutputs.map { loop.outputNames[$0 - nC] }
    var importIndex: [Int: Int] = [:]  // body node → index among A's per-step outputs
    for v in plan.imports {
      if let k = aPerStep.firstIndex(of: v) {
        importIndex[v] = k
        continue
      }
      importIndex[v] = aPerStep.count
      aPerStep.append(v)
      aNames.append("split\(aNames.count)" + (body.nodes[v].name.map { ":\($0)" } ?? ""))
    }
    let ae = GraphEditor(body)
    ae.setOutputs(plan.aCarries.map { outs[$0] } + aPerStep)
    ae.inputs =
      [loop.indexSlot] + plan.aSequences.map(loop.sequenceSlot) + plan.aCarries.map(loop.carrySlot) + constantSlots
    var la = loop
    la.sequences = plan.aSequences.map { loop.sequences[$0] }
    la.sequenceNames = plan.aSequences.map { loop.sequenceNames[$0] }
    la.maskIndex = loop.maskIndex.flatMap { plan.aSequences.firstIndex(of: $0) }
    la.carries = plan.aCarries.map { loop.carries[$0] }
    la.carryNames = plan.aCarries.map { loop.carryNames[$0] }
    la.outputNames = aNames
    let aNode = try la.add(to: e, body: ae.finish())
    let aC = plan.aCarries.count

    // B: the imports as sequences after its own.
    let be = GraphEditor(body)
    be.setOutputs(plan.bCarries.map { outs[$0] } + plan.bOutputs.map { outs[$0] })
    var slots: [Int] = []
    var names: [String] = []
    for v in plan.imports {
      let name = aNames[importIndex[v]!]
      let s = be.addPlaceholder(name, body.nodes[v].type, location: body.nodes[v].location)
      be.replace(v, with: s)
      slots.append(s)
      names.append(name)
    }
    be.inputs =
      [loop.indexSlot] + plan.bSequences.map(loop.sequenceSlot) + slots + plan.bCarries.map(loop.carrySlot)
      + constantSlots
    var lb = loop
    lb.sequences =
      plan.bSequences.map { loop.sequences[$0] }
      + (try plan.imports.map { try Loop.element(e, aNode, aC + importIndex[$0]!) })
    lb.sequenceNames = plan.bSequences.map { loop.sequenceNames[$0] } + names
    lb.maskIndex = loop.maskIndex.flatMap { plan.bSequences.firstIndex(of: $0) }
    lb.carries = plan.bCarries.map { loop.carries[$0] }
    lb.carryNames = plan.bCarries.map { loop.carryNames[$0] }
    lb.outputNames = plan.bOutputs.map { loop.outputNames[$0 - nC] }
    let bNode = try lb.add(to: e, body: be.finish())

    // The original node's outputs, from the loop that computes each.
    for (k, readers) in loop.projections(e).sorted(by: { $0.key < $1.key }) {
      let t: Int
      if let i = plan.aCarries.firstIndex(of: k) {
        t = try Loop.element(e, aNode, i)
      } else if let i = plan.bCarries.firstIndex(of: k) {
        t = try Loop.element(e, bNode, i)
      } else if let i = plan.aOutputs.firstIndex(of: k) {
        t = try Loop.element(e, aNode, aC + i)
      } else {
        t = try Loop.element(e, bNode, plan.bCarries.count + plan.bOutputs.firstIndex(of: k)!)
      }
      for r in readers { e.replace(r, with: t) }
    }
    return (aNode, bNode)
  }
}
