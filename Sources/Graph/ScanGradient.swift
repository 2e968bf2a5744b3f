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
    let (seqInputs, initCarries, constInputs) = (operands.sequences, operands.carries, operands.constants)
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
    var dY: [(Int, Var)] = []  // (node output index, slot)
    for k in nC..<min(outputGradients.count, bodyOut.count)
    where outputGradients[k] != nil && bodyOut[k].dtype.isFloatingPoint {
      let s = adjointSlot("dy\(k)", bodyOut[k].type)
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
    var forward = Set<ObjectIdentifier>()
    for o in bodyOut { for v in topologicalOrder(o) { forward.insert(ObjectIdentifier(v)) } }
    var stepDependent = Set((spec.sequenceSlots + spec.carrySlots + [spec.index]).map(ObjectIdentifier.init))
    for o in bodyOut {
      for v in topologicalOrder(o) where v.inputs.contains(where: { stepDependent.contains(ObjectIdentifier($0)) }) {
        stepDependent.insert(ObjectIdentifier(v))
      }
    }
    let directSlots = Set((spec.sequenceSlots + spec.constantSlots + [spec.index]).map(ObjectIdentifier.init))
    let carrySlotSet = Set(spec.carrySlots.map(ObjectIdentifier.init))
    var frontier: [Var] = []
    var visited = Set<ObjectIdentifier>()
    var stack = (gSeq + gCarry + gConst).compactMap { $0 }
    while let v = stack.popLast() {
      let id = ObjectIdentifier(v)
      guard visited.insert(id).inserted, !directSlots.contains(id) else { continue }
      let storable = forward.contains(id) && stepDependent.contains(id)
      if carrySlotSet.contains(id) || (storable && spec.policy == .store && !isTuple(v)) {
        frontier.append(v)
        continue
      }
      if case .tupleElement = v.op, let src = v.inputs.first, forward.contains(ObjectIdentifier(src)),
        stepDependent.contains(ObjectIdentifier(src)), !forward.contains(id)
      {
        frontier.append(v)  // an output of a nested scan, made by its own gradient
        continue
      }
      stack.append(contentsOf: v.inputs)
    }
    frontier.sort { $0.id < $1.id }
    let stored = frontier.map { tupleElement(node, spec.store($0)) }

    // 3. The backward loop.
    var seqs: [(String, Var)] = seqInputs.enumerated().map { ("s\($0)", $1) }
    seqs += stored.enumerated().map { ("m\($0)", $1) }
    seqs += dY.map { k, _ in ("dy\(k)", outputGradients[k]!) }
    var carries: [(String, Var)] = []
    for j in 0..<nC where dC[j] != nil {
      carries.append(("dc\(j)", outputGradients[j] ?? zerosLike(initCarries[j])))
    }
    for i in 0..<nK where gConst[i] != nil { carries.append(("dk\(i)", zerosLike(constInputs[i]))) }
    let consts: [(String, Var)] = constInputs.enumerated().map { ("k\($0)", $1) }
    let back = scanCore(
      sequences: seqs, carries: carries, constants: consts, steps: operands.steps,
      reverse: !spec.reverse, mask: nil, policy: spec.policy, location: loc
    ) { s in
      var memo: [ObjectIdentifier: Var] = [ObjectIdentifier(spec.index): s.index]
      for (i, v) in spec.sequenceSlots.enumerated() { memo[ObjectIdentifier(v)] = s["s\(i)"] }
      for (i, v) in spec.constantSlots.enumerated() { memo[ObjectIdentifier(v)] = s["k\(i)"] }
      for (i, v) in frontier.enumerated() { memo[ObjectIdentifier(v)] = s["m\(i)"] }
      for j in 0..<nC { if let d = dC[j] { memo[ObjectIdentifier(d)] = s["dc\(j)"] } }
      for (k, slot) in dY { memo[ObjectIdentifier(slot)] = s["dy\(k)"] }
      var newCarries: [String: Var] = [:]
      for j in 0..<nC where dC[j] != nil {
        newCarries["dc\(j)"] = gCarry[j].map { substitute($0, &memo) } ?? zerosLike(s["dc\(j)"])
      }
      for i in 0..<nK { if let g = gConst[i] { newCarries["dk\(i)"] = s["dk\(i)"] + substitute(g, &memo) } }
      var outs: [String: Var] = [:]
      for i in 0..<nS { if let g = gSeq[i] { outs["ds\(i)"] = substitute(g, &memo) } }
      return ScanStepResult(carries: newCarries, outputs: outs)
    }

    // 4. Gradients of the scan's inputs.
    var result: [Var?] = spec.hasSteps ? [nil] : []
    result += (0..<nS).map { i in gSeq[i] == nil ? nil : back.outputs.values["ds\(i)"] }
    result += (0..<nC).map { j in dC[j] == nil ? nil : back.final.values["dc\(j)"] }
    result += (0..<nK).map { i in gConst[i] == nil ? nil : back.final.values["dk\(i)"] }
    if let f = back.node.failure {
      return result.map { $0 == nil ? nil : failed("scan gradient", f.message, [], at: f.location) }
    }
    return result
  }
}
