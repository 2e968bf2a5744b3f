import Graph
import SketchRuntime

/// Drops what nobody reads from loops: per-step outputs no `tupleElement` reads (among them the
/// values a forward loop stores for a gradient loop that no longer reads them), carries whose final
/// value is unused and that no kept output depends on, and sequences and constants the body no
/// longer reads. The same outer value passed twice as a constant (or sequence) becomes one slot, and
/// one body value output twice becomes one output. Later loops are pruned first, so what a gradient
/// loop stops reading is dropped from its forward loop in the same pass.
enum LoopPrune {
  static let pass = Pass("scan-prune", "drop unused loop outputs, carries, sequences and constants; merge duplicates") {
    g, ctx in try prune(g, &ctx)
  }

  static func prune(_ g: FunctionGraph, _ ctx: inout PassContext) throws -> FunctionGraph {
    let e = GraphEditor(g)
    for n in e.liveNodes.reversed() {
      guard let loop = Loop(e, n) else { continue }
      try pruneLoop(e, loop, &ctx)
    }
    try replaceLoopBodies(e) { try prune($0, &ctx) }
    return e.finish()
  }

  static func pruneLoop(_ e: GraphEditor, _ loop: Loop, _ ctx: inout PassContext) throws {
    let proj = loop.projections(e)
    guard !proj.isEmpty else { return }
    let (nS, nC, nK) = (loop.nS, loop.nC, loop.nK)
    let b = GraphEditor(loop.body)
    var merges = 0
    // One slot per distinct outer value.
    func mergeSlots(_ outer: [Int], _ slot: (Int) -> Int) {
      for k in outer.indices {
        guard let first = outer.firstIndex(of: outer[k]), first < k else { continue }
        b.replace(slot(k), with: slot(first))
        merges += 1
      }
    }
    // Small constants the body reads become constants of the body (immediates, once fused).
    var inlined = 0
    for k in 0..<nK {
      guard case .constant(let t) = e.op(loop.constants[k]), t.count <= 16 else { continue }
      b.replace(loop.constantSlot(k), with: try b.add(.constant(t), [], location: e.location(loop.constants[k])))
      inlined += 1
    }
    merges += inlined
    mergeSlots(loop.sequences, loop.sequenceSlot)
    mergeSlots(loop.constants, loop.constantSlot)
    let outs = b.outputs
    // Per-step outputs that are read, one per distinct body value.
    var newIndex: [Int: Int] = [:]
    var firstOf: [Int: Int] = [:]  // body node → first per-step output index computing it
    var keptOutputs: [Int] = []
    var duplicates: [Int: Int] = [:]
    for k in nC..<outs.count where proj[k] != nil {
      if let f = firstOf[outs[k]] {
        duplicates[k] = f
        continue
      }
      firstOf[outs[k]] = k
      keptOutputs.append(k)
    }
    // Carries: those read outside, and those the kept values depend on (to a fixed point).
    var keptCarries = Set((0..<nC).filter { proj[$0] != nil })
    var reach = Set<Int>()
    while true {
      reach = reachable(b, keptOutputs.map { outs[$0] } + keptCarries.map { outs[$0] })
      let more = keptCarries.union((0..<nC).filter { reach.contains(loop.carrySlot($0)) })
      if more == keptCarries { break }
      keptCarries = more
    }
    let carries = keptCarries.sorted()
    // A sequence is also a length check against the others, so an unread one is dropped only when
    // its length is known to match: it is a per-step output of another loop (a value stored for a
    // gradient loop), or a sequence of a loop whose per-step outputs this loop also reads (the
    // gradient loop's copy of its forward loop's inputs).
    let read = (0..<nS).filter { reach.contains(loop.sequenceSlot($0)) }
    let checkedElsewhere = Set(
      read.flatMap { k -> [Int] in
        guard let src = sourceLoop(e, loop.sequences[k]) else { return [] }
        return src.sequences
      })
    var seqs = (0..<nS).filter { i in
      guard !reach.contains(loop.sequenceSlot(i)) else { return true }
      if loop.sequences.firstIndex(of: loop.sequences[i])! < i { return false }  // merged into an earlier slot
      if sourceLoop(e, loop.sequences[i]) != nil || checkedElsewhere.contains(loop.sequences[i]) { return false }
      return true
    }
    if seqs.isEmpty && loop.steps == nil && nS > 0 { seqs = [0] }  // the loop needs a length
    let consts = (0..<nK).filter { reach.contains(loop.constantSlot($0)) }
    let dropped = (nS - seqs.count) + (nC - carries.count) + (nK - consts.count) + (outs.count - nC - keptOutputs.count)
    guard dropped > 0 || merges > 0 else { return }
    ctx.count("dropped outputs", outs.count - nC - keptOutputs.count)
    ctx.count("dropped carries", nC - carries.count)
    ctx.count("dropped sequences and constants", nS - seqs.count + nK - consts.count)
    ctx.count("merged slots", merges - inlined)
    ctx.count("inlined constants", inlined)

    b.inputs =
      [loop.indexSlot] + seqs.map(loop.sequenceSlot) + carries.map(loop.carrySlot) + consts.map(loop.constantSlot)
    b.setOutputs(carries.map { outs[$0] } + keptOutputs.map { outs[$0] })
    var l = loop
    l.sequences = seqs.map { loop.sequences[$0] }
    l.sequenceNames = seqs.map { loop.sequenceNames[$0] }
    l.maskIndex = loop.maskIndex.flatMap { seqs.firstIndex(of: $0) }
    l.carries = carries.map { loop.carries[$0] }
    l.carryNames = carries.map { loop.carryNames[$0] }
    l.constants = consts.map { loop.constants[$0] }
    l.constantNames = consts.map { loop.constantNames[$0] }
    l.outputNames = keptOutputs.map { loop.outputNames[$0 - nC] }
    let m = try l.add(to: e, body: b.finish())
    for (i, j) in carries.enumerated() { newIndex[j] = i }
    for (i, k) in keptOutputs.enumerated() { newIndex[k] = carries.count + i }
    for (k, f) in duplicates { newIndex[k] = newIndex[f] }
    for (k, readers) in proj.sorted(by: { $0.key < $1.key }) {
      let t = try Loop.element(e, m, newIndex[k]!)
      for r in readers { e.replace(r, with: t) }
    }
  }

  /// The loop whose per-step output `v` is, if it is one.
  static func sourceLoop(_ e: GraphEditor, _ v: Int) -> Loop? {
    guard case .tupleElement(let k) = e.op(v), let l = Loop(e, e.arg(v, 0)), k >= l.nC else { return nil }
    return l
  }

  /// The nodes of the editor's graph that `roots` depend on.
  static func reachable(_ b: GraphEditor, _ roots: [Int]) -> Set<Int> {
    var seen = Set<Int>()
    var stack = roots
    while let v = stack.popLast() {
      guard seen.insert(v).inserted else { continue }
      stack.append(contentsOf: b.args(v))
    }
    return seen
  }
}
