import SketchRuntime

/// Backpropagation through time: the gradient of a scan is a reverse scan.
///
/// The backward step is the vector-Jacobian product of the forward step: given the adjoints of the
/// new carries (threaded backwards as carries) and of the step's outputs (read as sequences), it gives
/// the adjoints of the step's sequence slices (stacked: the gradients of the sequences), of the previous
/// carries (the next backward carries; after the loop, the gradients of the initial carries), and of
/// the constants (accumulated in carries; after the loop, the gradients of the weights).
///
/// The backward step reads forward values of step t. Under ``ScanPolicy/store`` every such value is
/// added to the forward loop's outputs and read back as a sequence; under ``ScanPolicy/recompute`` only
/// the carries at the start of each step are kept and the backward step recomputes the rest from them.
func scanPullback(_ node: Var, spec: ScanSpec, outputGradients: [Var?]) -> [Var?] {
  let loc = spec.location
  return SourceLocation.override(loc) { () -> [Var?] in
    let nC = spec.carrySlots.count
    let nS = spec.sequenceSlots.count
    let nK = spec.constantSlots.count
    let operands = spec.roles(of: node.inputs)
    let bodyOut = spec.bodyOutputs

    // 1. The vector-Jacobian product of one forward step, on the forward body's own variables.
    func adjointSlot(_ name: String, _ t: TensorType) -> Var {
      Var(op: .input(name), inputs: [], type: t, location: loc, failure: nil, name: name)
    }
    let dC: [Var?] = spec.carrySlots.enumerated().map { j, c in
      c.dtype.isFloatingPoint ? adjointSlot("d\(spec.carryNames[j])", c.type) : nil
    }
    var seeds: [(Var, Var)] = []
    for j in 0..<nC { if let d = dC[j] { seeds.append((bodyOut[j], d)) } }
    var dY: [(output: Int, slot: Var)] = []
    for k in nC..<min(outputGradients.count, bodyOut.count)
    where outputGradients[k] != nil && bodyOut[k].dtype.isFloatingPoint {
      let s = adjointSlot("d\(outputName(spec, k)).out", bodyOut[k].type)
      dY.append((k, s))
      seeds.append((bodyOut[k], s))
    }
    let wrt = spec.sequenceSlots + spec.carrySlots + spec.constantSlots
    let local = backpropagate(seeds: seeds, wrt: wrt).enumerated().map { i, g in wrt[i].dtype.isFloatingPoint ? g : nil
    }
    let gSeq = Array(local[0..<nS])
    let gCarry = Array(local[nS..<(nS + nC)])
    let gConst = Array(local[(nS + nC)...])

    // 2. The forward values the backward step reads (the frontier), to store in the forward loop.
    let frontier = storedValues(spec, gradients: (gSeq + gCarry + gConst).compactMap { $0 })

    // 3. The forward loop again, also outputting the frontier at every step: a new node over the same
    // operands and body (the old node is left as it is; `scan-merge` runs both as one loop).
    let (storingSpec, indices) = spec.storing(frontier)
    let forward =
      storingSpec === spec
      ? node : Var(op: .scan(storingSpec), inputs: node.inputs, type: node.type, location: loc, failure: nil, name: nil)
    let stored = indices.map { tupleElement(forward, $0) }

    // 4. The backward loop, by position. Sequences: the forward sequences, the stored values, the
    // adjoints of the per-step outputs. Carries: the adjoints of the carries, then the accumulated
    // gradients of the constants. Constants: the forward constants.
    let carryAdjoints = (0..<nC).filter { dC[$0] != nil }
    let constantGradients = (0..<nK).filter { gConst[$0] != nil }
    let sequenceGradients = (0..<nS).filter { gSeq[$0] != nil }
    var sequences: [(String, Var)] = zip(spec.sequenceNames, operands.sequences).map { ($0, $1) }
    sequences += stored.enumerated().map { ("stored\($0)", $1) }
    sequences += dY.map { ($0.slot.name!, outputGradients[$0.output]!) }
    var carries: [(String, Var)] = carryAdjoints.map { j in
      (dC[j]!.name!, outputGradients[j] ?? zerosLike(operands.carries[j]))
    }
    carries += constantGradients.map { i in ("d\(spec.constantNames[i])", zerosLike(operands.constants[i])) }
    let constants = Array(zip(spec.constantNames, operands.constants))
    let back = buildLoop(
      sequences: sequences, carries: carries, constants: constants, steps: operands.steps, reverse: !spec.reverse,
      mask: nil, policy: spec.policy, location: loc
    ) { a -> LoopStep? in
      var memo: [ObjectIdentifier: Var] = [ObjectIdentifier(spec.index): a.index]
      for (v, s) in zip(spec.sequenceSlots, a.sequences) { memo[ObjectIdentifier(v)] = s }
      for (v, s) in zip(spec.constantSlots, a.constants) { memo[ObjectIdentifier(v)] = s }
      for (v, s) in zip(frontier, a.sequences[nS...]) { memo[ObjectIdentifier(v)] = s }
      for (d, s) in zip(dY, a.sequences[(nS + frontier.count)...]) { memo[ObjectIdentifier(d.slot)] = s }
      for (j, s) in zip(carryAdjoints, a.carries) { memo[ObjectIdentifier(dC[j]!)] = s }
      var newCarries: [Var] = zip(carryAdjoints, a.carries).map { j, s in
        gCarry[j].map { substitute($0, &memo) } ?? zerosLike(s)
      }
      newCarries += zip(constantGradients, a.carries[carryAdjoints.count...]).map { i, s in
        s + substitute(gConst[i]!, &memo)
      }
      let outputs = sequenceGradients.map { i in (name: "d\(spec.sequenceNames[i])", value: substitute(gSeq[i]!, &memo)) }
      return LoopStep(carries: newCarries, outputs: outputs)
    }

    // 5. Gradients of the scan's inputs.
    if let f = back.node.failure {
      return node.inputs.map { _ in failed("scan gradient", f.message, [], at: f.location) }
    }
    let result: [Var?] = spec.hasSteps ? [nil] : []
    var seqGradients = [Var?](repeating: nil, count: nS)
    for (i, g) in zip(sequenceGradients, back.outputs) { seqGradients[i] = g }
    var carryGradients = [Var?](repeating: nil, count: nC)
    for (j, g) in zip(carryAdjoints, back.final) { carryGradients[j] = g }
    var constGradients = [Var?](repeating: nil, count: nK)
    for (i, g) in zip(constantGradients, back.final[carryAdjoints.count...]) { constGradients[i] = g }
    return result + seqGradients + carryGradients + constGradients
  }
}

/// The name of the loop's node output `k` (a per-step output) in dumps.
private func outputName(_ spec: ScanSpec, _ k: Int) -> String {
  let i = k - spec.carryNames.count
  return i < spec.outputNames.count ? spec.outputNames[i] : "stored\(i - spec.outputNames.count)"
}

/// The forward values of one step that the backward step reads, in a fixed order (by variable id).
///
/// Walks from the step's gradients back towards the forward body. A carry slot is always kept (the
/// carries at the start of each step). Under `storeAll`, so is every forward value that varies by
/// step; under `store` these are the values to get, from the fewest stored bytes
/// (``fewestStoredBytes(needed:isFree:isSlot:)``, `ScanStoring.swift`);
/// under `recompute` the walk goes on through them (the backward step recomputes them), except the
/// outputs of nested loops made by their own gradient (a nested forward loop is not run twice).
/// Sequence slots, constants and the index need no storing: the backward loop reads them itself.
private func storedValues(_ spec: ScanSpec, gradients: [Var]) -> [Var] {
  let bodyOut = spec.bodyOutputs
  // The forward body as built, and what varies by step (over the gradients' variables too, which
  // hold the nested loops their own gradients made).
  var forward = Set<ObjectIdentifier>()
  for o in bodyOut { for v in topologicalOrder(o) { forward.insert(ObjectIdentifier(v)) } }
  var order: [Var] = []
  var seen = Set<ObjectIdentifier>()
  for r in bodyOut + gradients {
    for v in topologicalOrder(r) where seen.insert(ObjectIdentifier(v)).inserted { order.append(v) }
  }
  order.sort { $0.id < $1.id }  // ids grow as variables are made: inputs first
  let stepSources = Set((spec.sequenceSlots + spec.carrySlots + [spec.index]).map(ObjectIdentifier.init))
  var stepDependent = Set<ObjectIdentifier>()
  var adjointDependent = Set<ObjectIdentifier>()
  let bodyArguments = Set(spec.bodyInputs.map(ObjectIdentifier.init))
  for v in order {
    let id = ObjectIdentifier(v)
    if stepSources.contains(id) || v.inputs.contains(where: { stepDependent.contains(ObjectIdentifier($0)) }) {
      stepDependent.insert(id)
    }
    // An input that is not a body argument or an enclosing variable is an adjoint slot of this gradient.
    let isAdjointSlot: Bool
    if case .input = v.op, !bodyArguments.contains(id), !forward.contains(id) { isAdjointSlot = true } else {
      isAdjointSlot = false
    }
    if isAdjointSlot || v.inputs.contains(where: { adjointDependent.contains(ObjectIdentifier($0)) }) {
      adjointDependent.insert(id)
    }
  }
  let directSlots = Set((spec.sequenceSlots + spec.constantSlots + [spec.index]).map(ObjectIdentifier.init))
  let carrySlotSet = Set(spec.carrySlots.map(ObjectIdentifier.init))
  var frontier: [Var] = []
  var visited = Set<ObjectIdentifier>()
  var stack = gradients
  while let v = stack.popLast() {
    let id = ObjectIdentifier(v)
    guard visited.insert(id).inserted, !directSlots.contains(id) else { continue }
    let storable = forward.contains(id) && stepDependent.contains(id)
    if carrySlotSet.contains(id) || (storable && spec.policy != .recompute && !isTuple(v)) {
      frontier.append(v)
      continue
    }
    if case .tupleElement = v.op, let src = v.inputs.first, isTuple(src), !forward.contains(id),
      stepDependent.contains(ObjectIdentifier(src)), !adjointDependent.contains(ObjectIdentifier(src))
    {
      frontier.append(v)  // an output of a nested loop made by its own gradient
      continue
    }
    stack.append(contentsOf: v.inputs)
  }
  guard spec.policy == .store else { return frontier.sorted { $0.id < $1.id } }
  // The values the backward step reads of the forward step, stored with the fewest bytes.
  let needed = frontier.filter { forward.contains(ObjectIdentifier($0)) }
  let others = frontier.filter { !forward.contains(ObjectIdentifier($0)) }
  let free = Set((spec.constantSlots + [spec.index]).map(ObjectIdentifier.init))
  let sequences = Set(spec.sequenceSlots.map(ObjectIdentifier.init))
  let cut = fewestStoredBytes(
    needed: needed, isFree: { free.contains($0) || !stepDependent.contains($0) },
    isSlot: { carrySlotSet.contains($0) || sequences.contains($0) })
  // A sequence slot in the cut is read by the backward loop itself.
  let stored = cut.filter { !sequences.contains(ObjectIdentifier($0)) }
  return (stored + others).sorted { $0.id < $1.id }
}
