import SketchRuntime

/// A symbolic loop (Theano's scan, with named carries instead of taps).
///
/// `step` runs once, symbolically, on placeholders: the slices at step t of each sequence (their
/// leading axis is time), the carries of the previous step, the constants, and `s.index` (t). It returns
/// the new carries and any per-step outputs. Variables of the enclosing graph that the step uses
/// (weights, keys) are captured as constants automatically.
///
/// ```swift
/// let r = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
///   let h = tanh(matmul(s["x"], W) + matmul(s["h"], U))
///   return ScanStepResult(carries: ["h": h], outputs: ["h": h])
/// }
/// let hs = r["h"]          // [T, B, D]
/// let last = r.final["h"]  // [B, D]
/// ```
///
/// - Parameters:
///   - steps: the number of steps (int32 scalar), needed when there are no sequences.
///   - reverse: run t = T-1 down to 0; stacked outputs are still indexed by t.
///   - mask: `[T, B]` validity (bool, or float 0/1). Where `mask[t, b]` is false, every carry of batch
///     row b keeps its previous value, so after a sequence ends its carries stay frozen at their last
///     valid value. Per-step outputs are computed as usual; weight them by the mask in the cost.
///   - policy: what the gradient stores from the forward loop (``ScanPolicy``).
public func scan(
  sequences: KeyValuePairs<String, Var> = [:], carries: KeyValuePairs<String, Var> = [:],
  constants: KeyValuePairs<String, Var> = [:], steps: Var? = nil, reverse: Bool = false, mask: Var? = nil,
  policy: ScanPolicy = .store, file: StaticString = #fileID, line: UInt = #line,
  _ step: (ScanStep) -> ScanStepResult
) -> ScanResult {
  scanCore(
    sequences: sequences.map { ($0.key, $0.value) }, carries: carries.map { ($0.key, $0.value) },
    constants: constants.map { ($0.key, $0.value) }, steps: steps, reverse: reverse, mask: mask, policy: policy,
    location: loc(file, line), step)
}

/// `scan` with sequences, carries and constants given as arrays (for code that builds them in loops).
public func scan(
  sequenceList: [(String, Var)], carryList: [(String, Var)], constantList: [(String, Var)] = [],
  steps: Var? = nil, reverse: Bool = false, mask: Var? = nil, policy: ScanPolicy = .store,
  file: StaticString = #fileID, line: UInt = #line, _ step: (ScanStep) -> ScanStepResult
) -> ScanResult {
  scanCore(
    sequences: sequenceList, carries: carryList, constants: constantList, steps: steps, reverse: reverse,
    mask: mask, policy: policy, location: loc(file, line), step)
}

/// `scan` with a fixed number of steps.
public func scan(
  steps: Int, carries: KeyValuePairs<String, Var> = [:], constants: KeyValuePairs<String, Var> = [:],
  reverse: Bool = false, policy: ScanPolicy = .store, file: StaticString = #fileID, line: UInt = #line,
  _ step: (ScanStep) -> ScanStepResult
) -> ScanResult {
  scanCore(
    sequences: [], carries: carries.map { ($0.key, $0.value) }, constants: constants.map { ($0.key, $0.value) },
    steps: constant(Tensor(scalar: Int32(clamping: steps)), file: file, line: line), reverse: reverse, mask: nil,
    policy: policy, location: loc(file, line), step)
}

func scanFailure(_ message: String, _ inputs: [Var], _ at: SourceLocation) -> ScanResult {
  let f = failed("scan", message, inputs, at: at)
  return ScanResult(node: f, outputs: [:], final: [:])
}

let maskName = "__mask"

func scanCore(
  sequences: [(String, Var)], carries: [(String, Var)], constants: [(String, Var)], steps: Var?,
  reverse: Bool, mask: Var?, policy: ScanPolicy, location: SourceLocation, _ step: (ScanStep) -> ScanStepResult
) -> ScanResult {
  var sequences = sequences
  let all =
    sequences.map(\.1) + carries.map(\.1) + constants.map(\.1) + (steps.map { [$0] } ?? []) + (mask.map { [$0] } ?? [])
  if let bad = all.first(where: { $0.failure != nil }) { return scanFailure("", [bad], location) }
  let names = (sequences + carries + constants).map(\.0)
  if let dup = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
    return scanFailure("the name '\(dup)' is used twice among sequences, carries and constants", all, location)
  }
  if let mask {
    guard mask.rank == 2 else {
      return scanFailure("the mask must be [T, B] (bool or float), got \(mask.type)", [mask], location)
    }
    sequences.append((maskName, mask))
  }
  if sequences.isEmpty && steps == nil {
    return scanFailure("a scan needs sequences or a step count (steps:)", all, location)
  }
  if let steps, !(steps.dtype == .int32 && steps.rank == 0) {
    return scanFailure("steps must be an int32 scalar, got \(steps.type)", [steps], location)
  }
  // The static length of the time axis.
  var timeDim: Dim = .unknown
  if let steps, case .constant(let t) = steps.op { timeDim = .fixed(Int(t.scalarValue)) }
  for (name, s) in sequences {
    guard s.rank >= 1 else {
      return scanFailure("sequence '\(name)' is \(s.type); a sequence needs a leading time axis", [s], location)
    }
    guard compatible(timeDim, s.shape[0]) else {
      let what = name == maskName ? "the mask" : "sequence '\(name)'"
      return scanFailure(
        "\(what) has \(s.shape[0]) steps, another length is \(timeDim)",
        sequences.map(\.1), location)
    }
    timeDim = preferNamed(timeDim, s.shape[0])
  }
  if case .fixed(0) = timeDim { return scanFailure("a scan of zero steps", all, location) }

  // Placeholders. Everything made from here on belongs to the body.
  let index = Var(
    op: .input("t"), inputs: [], type: TensorType(.int32, []), location: location, failure: nil, name: "t")
  func slot(_ name: String, _ t: TensorType) -> Var {
    Var(op: .input(name), inputs: [], type: t, location: location, failure: nil, name: name)
  }
  let seqSlots = sequences.map { slot($0.0, TensorType($0.1.dtype, Array($0.1.shape.dropFirst()))) }
  let carrySlots = carries.map { slot($0.0, $0.1.type) }
  var constSlots = constants.map { slot($0.0, $0.1.type) }
  var named: [String: Var] = [:]
  for (n, v) in zip(sequences.map(\.0) + carries.map(\.0) + constants.map(\.0), seqSlots + carrySlots + constSlots) {
    named[n] = v
  }
  named[maskName] = nil
  let result = SourceLocation.with(location) { step(ScanStep(index: index, named: named, location: location)) }

  // Check what the step returned.
  for n in result.carries.keys where !carries.contains(where: { $0.0 == n }) {
    return scanFailure(
      "the step returned a carry '\(n)' that the scan does not have (carries: \(carries.map(\.0).joined(separator: ", ")))",
      all, location)
  }
  var newCarries: [Var] = []
  for (j, (n, initial)) in carries.enumerated() {
    guard var c = result.carries[n] else {
      return scanFailure("the step did not return carry '\(n)'", all, location)
    }
    if let f = c.failure {
      return ScanResult(node: failed("scan", f.message, [c], at: f.location), outputs: [:], final: [:])
    }
    guard c.dtype == initial.dtype, c.rank == initial.rank,
      zip(c.shape, initial.shape).allSatisfy({ compatible($0, $1) })
    else {
      return scanFailure(
        "carry '\(n)' starts as \(initial.type) but the step returns \(c.type); a carry must keep its type",
        [initial, c], location)
    }
    if mask != nil {
      let m = seqSlots.last!
      guard c.rank >= 1 else {
        return scanFailure(
          "with a mask [T, B], carry '\(n)' must have the batch axis first, but it is \(c.type)",
          [initial, mask!], location)
      }
      guard compatible(c.shape[0], m.shape[0]) else {
        return scanFailure(
          "the mask is \(mask!.type) (batch size \(m.shape[0])) but carry '\(n)' is \(c.type) "
            + "(batch size \(c.shape[0])); a masked carry needs the batch axis first", [initial, mask!], location)
      }
      c = SourceLocation.with(location) {
        // Built at the scan's location (not this file's), so run-time errors point at the user's call.
        let keep = m.dtype == .bool ? m : m > 0.5
        let (items, refs) = lowerShape([.dim(keep, 0)] + [ShapeSpec](repeating: .n(1), count: c.rank - 1))
        return apply(.select, [apply(.reshape(items), [keep] + refs, at: location), c, carrySlots[j]], at: location)
      }
    }
    newCarries.append(c)
  }
  let outputNames = result.outputs.keys.sorted()
  let stepOutputs = outputNames.map { result.outputs[$0]! }
  if let f = stepOutputs.lazy.compactMap(\.failure).first {
    return ScanResult(node: failed("scan", f.message, [], at: f.location), outputs: [:], final: [:])
  }

  // Capture the enclosing graph's variables that the body reads, as extra constants.
  let start = index.id
  let slotSet = Set((seqSlots + carrySlots + constSlots + [index]).map(ObjectIdentifier.init))
  var captured: [Var] = []
  var capturedSlot: [ObjectIdentifier: Var] = [:]
  var visited = Set<ObjectIdentifier>()
  func isOuter(_ v: Var) -> Bool {
    if slotSet.contains(ObjectIdentifier(v)) { return false }
    if case .input = v.op { return true }
    if case .shared = v.op { return true }
    return v.id < start
  }
  var stack = newCarries + stepOutputs
  var usedNames = Set(names)
  while let v = stack.popLast() {
    guard visited.insert(ObjectIdentifier(v)).inserted else { continue }
    if isOuter(v) {
      captured.append(v)
      var n = v.name ?? "\(v.op.name)#\(v.id)"
      if usedNames.contains(n) { n += "#\(v.id)" }
      usedNames.insert(n)
      let s = slot(n, v.type)
      capturedSlot[ObjectIdentifier(v)] = s
      continue
    }
    stack.append(contentsOf: v.inputs)
  }
  captured.sort { $0.id < $1.id }
  var bodyOutputs = newCarries + stepOutputs
  if !captured.isEmpty {
    var memo: [ObjectIdentifier: Var] = capturedSlot
    bodyOutputs = bodyOutputs.map { substitute($0, &memo) }
  }
  constSlots += captured.map { capturedSlot[ObjectIdentifier($0)]! }
  let constantNames = constants.map(\.0) + captured.map { capturedSlot[ObjectIdentifier($0)]!.name! }

  let spec = ScanSpec(
    sequenceNames: sequences.map(\.0), carryNames: carries.map(\.0), constantNames: constantNames,
    outputNames: outputNames, reverse: reverse, hasSteps: steps != nil, policy: policy, location: location,
    index: index, sequenceSlots: seqSlots, carrySlots: carrySlots, constantSlots: constSlots,
    bodyOutputs: bodyOutputs, timeDim: timeDim)
  let inputs = (steps.map { [$0] } ?? []) + sequences.map(\.1) + carries.map(\.1) + constants.map(\.1) + captured
  let node = Var(op: .scan(spec), inputs: inputs, type: ScanSpec.tupleType, location: location, failure: nil, name: nil)
  let nC = carries.count
  var final: [String: Var] = [:]
  for (j, (n, _)) in carries.enumerated() { final[n] = tupleElement(node, j).named(n) }
  var outs: [String: Var] = [:]
  for (k, n) in outputNames.enumerated() { outs[n] = tupleElement(node, nC + k).named(n) }
  return ScanResult(node: node, outputs: outs, final: final)
}

/// `v` rebuilt with the variables in `memo` replaced (memo maps originals to replacements and grows
/// with every rebuilt variable). Variables that depend on no replaced variable are reused as they are.
func substitute(_ v: Var, _ memo: inout [ObjectIdentifier: Var]) -> Var {
  if let r = memo[ObjectIdentifier(v)] { return r }
  // Iterative post-order, so long chains do not exhaust the stack.
  var stack: [(Var, Int)] = [(v, 0)]
  while let (u, next) = stack.popLast() {
    if memo[ObjectIdentifier(u)] != nil { continue }
    if next < u.inputs.count {
      stack.append((u, next + 1))
      let c = u.inputs[next]
      if memo[ObjectIdentifier(c)] == nil { stack.append((c, 0)) }
      continue
    }
    let ins = u.inputs.map { memo[ObjectIdentifier($0)]! }
    if zip(ins, u.inputs).allSatisfy({ $0 === $1 }) {
      memo[ObjectIdentifier(u)] = u
    } else {
      memo[ObjectIdentifier(u)] = Var(
        op: u.op, inputs: ins, type: u.type, location: u.location,
        failure: ins.lazy.compactMap(\.failure).first ?? u.failure, name: u.name)
    }
  }
  return memo[ObjectIdentifier(v)]!
}
