import Graph
import SketchRuntime

extension CEmitter {
  /// A scan as a C loop: slots point into the sequences (no copies), carries live in their slot
  /// buffers and are updated after each step (by trading pointers where the new value has a buffer of
  /// its own), per-step outputs are written into the stacked results in place or copied there.
  func emitScan(
    _ spec: ScanSpec, graph g: Int, index: Int, ins: [Int], into w: inout CWriter, functions: inout CWriter
  ) throws {
    let body = layout.bodyOf[ObjectIdentifier(spec)]!
    let bg = layout.graphs[body]
    let slot = bg.inputs.map { layout.id(body, $0) }  // index, sequences, carries, constants
    let nS = spec.sequenceSlots.count
    let nC = spec.carrySlots.count
    guard ins.count == spec.operandCount, bg.inputs.count == 1 + nS + nC + spec.constantSlots.count else {
      throw NativeUnsupported(
        message: "scan at \(spec.location) has \(ins.count) inputs and a body of \(bg.inputs.count) "
          + "arguments for \(nS) sequences, \(nC) carries and \(spec.constantSlots.count) constants (steps: \(spec.hasSteps))"
      )
    }
    let operands = spec.roles(of: ins)
    let slots = spec.bodyRoles(of: slot)
    let (seqIn, initIn, constIn) = (operands.sequences, operands.carries, operands.constants)
    let (seqSlots, carrySlots, constSlots) = (slots.sequences, slots.carries, slots.constants)
    let outs = bg.outputs.map { layout.id(body, $0) }
    // The outer tupleElement node of each scan output, if used.
    let graph = layout.graphs[g]
    var result: [Int: Int] = [:]
    for (j, node) in graph.nodes.enumerated() {
      if case .tupleElement(let k) = node.op, node.inputs[0] == index { result[k] = layout.id(g, j) }
    }
    // The carry slots need storage of their own (their buffers are allocated like any node's).
    try w.block("") { w in
      if spec.hasSteps {
        w.line("const int64_t T = (int64_t)\(b(ins[0]))[0];")
      } else {
        w.line("const int64_t T = \(dim(seqIn[0], 0));")
      }
      w.line("if (T <= 0) return \(fail(layout.id(g, index), .emptyScan, "(double)T"));")
      for (s, c) in zip(constSlots, constIn) { w.line("B[\(s)] = B[\(c)];") }
      for (s, c) in zip(carrySlots, initIn) {
        w.line("memcpy(\(b(s)), \(b(c)), sizeof(*\(b(s))) * \(n(s)));")
      }
      // Per-step outputs computed by a body node of their own are written straight into the stacked
      // result (the node's entry points at row t); carries computed that way trade pointers with
      // their slot after each step instead of being copied.
      let own = { (id: Int) -> Bool in
        let op = bg.nodes[id - layout.base[body]].op
        return !op.isLeaf && !op.isSameBytes && views[id] == nil
      }
      var stackedUses: [Int: Int] = [:]
      var carryUses: [Int: Int] = [:]
      for k in nC..<outs.count { stackedUses[outs[k], default: 0] += 1 }
      for j in 0..<nC { carryUses[outs[j], default: 0] += 1 }
      let inPlace = Set((nC..<outs.count).filter { k in result[k] != nil && own(outs[k]) && stackedUses[outs[k]] == 1 })
      let swapped = Set(
        (0..<nC).filter { j in
          outs[j] != carrySlots[j] && own(outs[j]) && carryUses[outs[j]] == 1 && stackedUses[outs[j]] == nil
        })
      // A carry whose new value is another carry's slot is staged first (the updates are simultaneous).
      let staged = (0..<nC).filter { j in outs[j] != carrySlots[j] && carrySlots.contains(outs[j]) }
      // Results written over a sequence of the loop point at its buffer (step t over step t).
      for (k, r) in result.sorted(by: { $0.key < $1.key }) {
        if let q = overSequence[r] { w.line("B[\(r)] = B[\(q)];  /* output \(k) over a sequence */") }
      }
      w.line("sk_loop_starts();  /* a new generation: earlier packings of loop constants are stale */")
      try w.block("for (int64_t it = 0; it < T; it++)") { w in
        w.line("const int64_t t = \(spec.reverse ? "T - 1 - it" : "it");")
        w.line("\(b(slot[0]))[0] = (int32_t)t;")
        for (s, q) in zip(seqSlots, seqIn) { w.line("B[\(s)] = (void*)(\(b(q)) + t * \(n(s)));") }
        for k in inPlace.sorted() { w.line("B[\(outs[k])] = (void*)(\(b(result[k]!)) + t * \(n(outs[k])));") }
        w.line("int rc = 0;")
        try emitGraph(body, into: &w, functions: &functions)
        // Stacked outputs first (they may read the carry slots before the update).
        for k in nC..<outs.count where !inPlace.contains(k) {
          guard let r = result[k] else { continue }
          w.line("memcpy(\(b(r)) + t * \(n(outs[k])), \(b(outs[k])), sizeof(*\(b(r))) * \(n(outs[k])));")
        }
        for j in staged {
          w.line(
            "void* stage\(j) = malloc(sizeof(*\(b(outs[j]))) * \(n(outs[j])) + 1); if (!stage\(j)) return \(fail(layout.id(g, index), .outOfMemory, "(double)(sizeof(*\(b(outs[j]))) * \(n(outs[j])))"));"
          )
          w.line("memcpy(stage\(j), \(b(outs[j])), sizeof(*\(b(outs[j]))) * \(n(outs[j])));")
        }
        for (j, s) in carrySlots.enumerated() where outs[j] != s {
          if swapped.contains(j) {
            w.line("{ void* x = B[\(s)]; B[\(s)] = B[\(outs[j])]; B[\(outs[j])] = x; }")
          } else if staged.contains(j) {
            w.line("memcpy(\(b(s)), stage\(j), sizeof(*\(b(s))) * \(n(s))); free(stage\(j));")
          } else {
            w.line("memcpy(\(b(s)), \(b(outs[j])), sizeof(*\(b(s))) * \(n(s)));")
          }
        }
      }
      for j in 0..<nC {
        guard let r = result[j] else { continue }
        w.line("memcpy(\(b(r)), \(b(carrySlots[j])), sizeof(*\(b(r))) * \(n(r)));")
      }
    }
  }
}
