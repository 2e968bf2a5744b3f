import Graph

/// How a loop body writes a per-step output over the sequence slot it reads (``Aliasing/overSequence``):
/// what the emitter must do so that no element is written before it is read.
public enum InPlaceWrite: Sendable {
  /// The output is copied into the stacked result after the step (every read of the slot is done).
  case afterStep
  /// Every node reading the slot runs before the first node writing the output.
  case afterReads
  /// The output is a product whose C operand is the slot: `C = αAB + βC`, accumulated in place
  /// (float32; the node).
  case gemm(node: Int)
  /// A loop kernel (the node) reads the slot through slices at exactly the columns where it writes
  /// the parts of the output (a concatenation along the last axis): each element is read, then written,
  /// by the same iteration. `reads`: each such slice → the part written at its columns.
  case kernel(node: Int, reads: [Int: Int])
}

extension Aliasing {
  /// Per-step outputs of a loop written over a sequence of the same loop (the pre-activations of an
  /// LSTM over its input projections, the gates' gradients over the stored pre-activations): the
  /// sequence's buffer dies at the loop, and step t of the output has the size and layout of step t of
  /// the sequence, so the output takes its buffer (one buffer instead of two). Found in node order;
  /// each decision sees the earlier ones.
  ///
  /// A sequence qualifies when its buffer is not a leaf's (an argument, a constant, a parameter), no
  /// graph output and no node after the loop reads it (nor any value in it), the loop reads it once
  /// and through no other operand, and the body can write the output over the slot without reading an
  /// element it has already written (``inPlaceWrite(body:aliasing:output:slot:stacked:carries:)``).
  mutating func findOverSequence(_ graph: FunctionGraph) {
    for (i, node) in graph.nodes.enumerated() {
      guard case .scan(let spec) = node.op else { continue }
      let body = spec.bodyGraph
      let bodyAliasing = Aliasing(body)
      let operands = spec.roles(of: node.inputs)
      let slots = spec.bodyRoles(of: body.inputs).sequences
      let nC = spec.carryNames.count
      var taken = Set<Int>()
      let results = graph.nodes.indices.filter { j in
        if case .tupleElement(let k) = graph.nodes[j].op, graph.nodes[j].inputs[0] == i, k >= nC { return true }
        return false
      }
      for te in results {
        guard case .tupleElement(let k) = graph.nodes[te].op, overSequence[te] == nil else { continue }
        let output = body.outputs[k]
        for (s, q) in operands.sequences.enumerated() where !taken.contains(s) {
          guard body.nodes[output].type == body.nodes[slots[s]].type, dies(q, at: i, in: graph),
            let how = Aliasing.inPlaceWrite(
              body: body, aliasing: bodyAliasing, output: output, slot: slots[s], stacked: k, carries: nC)
          else { continue }
          taken.insert(s)
          overSequence[te] = (q, s, how)
          owner[te] = owner[q]
          // Values in the output's buffer (reshapes, slices of it) follow.
          for j in (te + 1)..<graph.nodes.count {
            let n = graph.nodes[j]
            if n.op.isSameBytes || views[j] != nil { owner[j] = owner[n.inputs[0]] }
          }
          break
        }
      }
    }
  }

  /// Whether the buffer of `q` is free to overwrite while loop `i` runs: not a leaf's, not returned,
  /// read by loop `i` through `q` alone (once) and by no later node.
  private func dies(_ q: Int, at i: Int, in graph: FunctionGraph) -> Bool {
    let o = owner[q]
    if graph.nodes[o].op.isLeaf || graph.outputs.contains(where: { owner[$0] == o }) { return false }
    if graph.nodes[i].inputs.filter({ owner[$0] == o }).count != 1 || !graph.nodes[i].inputs.contains(q) {
      return false
    }
    for j in (i + 1)..<graph.nodes.count where MemoryPlan.dataInputs(graph.nodes[j]).contains(where: { owner[$0] == o }) {
      return false
    }
    return true
  }

  /// How `body` (whose own aliasing is `a`) can write its output `output` (output `stacked` of the
  /// body, after `carries` new carries) over sequence slot `slot`, or nil when it cannot without
  /// reading an element it has already written.
  ///
  /// An output the loop writes straight into its stacked result (a node of its own, used once) must
  /// be written after every read of the slot (``InPlaceWrite/afterReads``), or by the node that reads
  /// it, at the same elements (``InPlaceWrite/gemm(node:)``, ``InPlaceWrite/kernel(node:reads:)``). An
  /// output that is copied after the step needs nothing (``InPlaceWrite/afterStep``), unless it is
  /// the slot itself or another output or carry is.
  public static func inPlaceWrite(
    body: FunctionGraph, aliasing a: Aliasing, output: Int, slot: Int, stacked: Int, carries: Int
  ) -> InPlaceWrite? {
    let outputs = body.outputs
    // Copies after the step read other outputs; none may be the slot's buffer.
    for (k, o) in outputs.enumerated() where a.owner[o] == slot && k != stacked { return nil }
    if a.owner[output] == slot { return nil }
    let op = body.nodes[output].op
    // As the emitter decides (`emitScan`): a node of its own, one stacked output.
    let direct =
      !op.isLeaf && !op.isSameBytes && a.views[output] == nil && outputs[carries...].filter({ $0 == output }).count == 1
    guard direct else { return .afterStep }
    // The nodes that write the output's buffer.
    var writers: [Int] = []
    if a.filledConcats.contains(output) {
      for p in body.nodes[output].inputs {
        let n = body.nodes[p]
        if case .tupleElement = n.op { writers.append(n.inputs[0]) } else { writers.append(p) }
      }
    } else if case .tupleElement = op {
      writers = [body.nodes[output].inputs[0]]
    } else {
      writers = [output]
    }
    let first = writers.min()!
    let readers = body.nodes.indices.filter { j in
      MemoryPlan.dataInputs(body.nodes[j]).contains { a.owner[$0] == slot }
    }
    if readers.allSatisfy({ $0 < first }) { return .afterReads }
    // Otherwise the one writer is the last reader and reads what it writes, element by element.
    guard Set(writers).count == 1, readers.allSatisfy({ $0 <= first }) else { return nil }
    let w = body.nodes[first]
    switch w.op {
    case .gemm:
      guard first == output, w.inputs.count == 3, w.inputs[2] == slot, w.type.dtype == .float32, w.type.rank == 2,
        a.owner[w.inputs[0]] != slot, a.owner[w.inputs[1]] != slot, body.nodes[slot].type == w.type,
        !(body.nodes[w.inputs[0]].type.shape.last?.fixedValue.map { $0 <= 8 } ?? false)
      else { return nil }
      return .gemm(node: first)
    default:
      var isKernel = w.op.isElementwise
      if case .fused = w.op { isKernel = true }
      guard isKernel else { return nil }
      // A kernel writing the output itself reads the slot as a whole; one writing the parts of a
      // concatenation reads slices of it at the parts' columns.
      let parts = a.filledConcats.contains(output) ? body.nodes[output].inputs : []
      var start: [Int: Int] = [:]
      var column = 0
      for p in parts {
        guard let width = body.nodes[p].type.shape.last?.fixedValue else { return nil }
        start[p] = column
        column += width
      }
      var reads: [Int: Int] = [:]
      for x in w.inputs where a.owner[x] == slot {
        if x == slot, parts.isEmpty, body.nodes[slot].type == body.nodes[output].type {
          reads[x] = output
          continue
        }
        guard let v = a.views[x], v.source == slot, let range = v.ranges.last, v.ranges.count == body.nodes[slot].type.rank,
          v.ranges.dropLast().allSatisfy(\.isFull), range.step == 1, !range.isIndex, let lo = range.start, lo >= 0,
          let part = parts.first(where: { start[$0] == lo }), body.nodes[part].type == body.nodes[x].type
        else { return nil }
        reads[x] = part
      }
      return .kernel(node: first, reads: reads)
    }
  }
}
