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

/// The mask's name in dumps (it is told apart by its role, ``ScanSpec/maskIndex``, never by this name).
let maskName = "mask"

/// The user-facing loop builder: named sequences, carries and constants, a step that reads and returns
/// them by name. It checks the names and hands the loop to ``buildLoop`` by position.
func scanCore(
  sequences: [(String, Var)], carries: [(String, Var)], constants: [(String, Var)], steps: Var?,
  reverse: Bool, mask: Var?, policy: ScanPolicy, location: SourceLocation, _ step: (ScanStep) -> ScanStepResult
) -> ScanResult {
  let all =
    sequences.map(\.1) + carries.map(\.1) + constants.map(\.1) + (steps.map { [$0] } ?? []) + (mask.map { [$0] } ?? [])
  if let bad = all.first(where: { $0.failure != nil }) { return scanFailure("", [bad], location) }
  let names = (sequences + carries + constants).map(\.0)
  if let dup = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
    return scanFailure("the name '\(dup)' is used twice among sequences, carries and constants", all, location)
  }
  var outputNames: [String] = []
  var stepFailure: ScanResult?
  let built = buildLoop(
    sequences: sequences, carries: carries, constants: constants, steps: steps, reverse: reverse, mask: mask,
    policy: policy, location: location
  ) { a -> LoopStep? in
    var named: [String: Var] = [:]
    for (n, v) in zip(names, a.sequences + a.carries + a.constants) { named[n] = v }
    let result = step(ScanStep(index: a.index, named: named, location: location))
    for n in result.carries.keys where !carries.contains(where: { $0.0 == n }) {
      stepFailure = scanFailure(
        "the step returned a carry '\(n)' that the scan does not have (carries: \(carries.map(\.0).joined(separator: ", ")))",
        all, location)
      return nil
    }
    var newCarries: [Var] = []
    for (n, _) in carries {
      guard let c = result.carries[n] else {
        stepFailure = scanFailure("the step did not return carry '\(n)'", all, location)
        return nil
      }
      newCarries.append(c)
    }
    outputNames = result.outputs.keys.sorted()
    return LoopStep(carries: newCarries, outputs: outputNames.map { (name: $0, value: result.outputs[$0]!) })
  }
  if let stepFailure { return stepFailure }
  if built.node.failure != nil { return ScanResult(node: built.node, outputs: [:], final: [:]) }
  var final: [String: Var] = [:]
  for ((n, _), v) in zip(carries, built.final) { final[n] = v }
  var outs: [String: Var] = [:]
  for (n, v) in zip(outputNames, built.outputs) { outs[n] = v }
  return ScanResult(node: built.node, outputs: outs, final: final)
}

/// The placeholders of one step, by position: what a loop body is built from.
struct LoopArguments {
  /// The time index t (int32 scalar).
  let index: Var
  /// The slices of the sequences at step t, the mask excluded.
  let sequences: [Var]
  let carries: [Var]
  let constants: [Var]
}

/// What a loop body returns, by position: one new value per carry, and per-step outputs (named for
/// dumps only).
struct LoopStep {
  var carries: [Var]
  var outputs: [(name: String, value: Var)]
}

/// A built loop by position: the node, its final carries and its stacked per-step outputs; or, when
/// building failed, a failed node (``Var/failure`` says why) and nothing else.
struct BuiltLoop {
  let node: Var
  let final: [Var]
  let outputs: [Var]

  static func failed(_ f: Var) -> BuiltLoop { BuiltLoop(node: f, final: [], outputs: []) }
}

/// Builds a loop by position: `step` runs once on placeholders and returns the new carries (in the
/// order of `carries`) and the per-step outputs; nil means it failed and said why itself. The names
/// name the placeholders in dumps; nothing is looked up by name. Checks carry types, applies the
/// mask to every carry, and captures the enclosing graph's variables that the body reads as extra
/// constants. The reverse loop of a gradient is built this way too.
func buildLoop(
  sequences: [(String, Var)], carries: [(String, Var)], constants: [(String, Var)], steps: Var?,
  reverse: Bool, mask: Var?, policy: ScanPolicy, location: SourceLocation, _ step: (LoopArguments) -> LoopStep?
) -> BuiltLoop {
  func failure(_ message: String, _ inputs: [Var]) -> BuiltLoop { .failed(failed("scan", message, inputs, at: location)) }
  var sequences = sequences
  let all =
    sequences.map(\.1) + carries.map(\.1) + constants.map(\.1) + (steps.map { [$0] } ?? []) + (mask.map { [$0] } ?? [])
  if let bad = all.first(where: { $0.failure != nil }) { return failure("", [bad]) }
  var maskIndex: Int?
  if let mask {
    guard mask.rank == 2 else { return failure("the mask must be [T, B] (bool or float), got \(mask.type)", [mask]) }
    maskIndex = sequences.count
    sequences.append((maskName, mask))
  }
  if sequences.isEmpty && steps == nil { return failure("a scan needs sequences or a step count (steps:)", all) }
  if let steps, !(steps.dtype == .int32 && steps.rank == 0) {
    return failure("steps must be an int32 scalar, got \(steps.type)", [steps])
  }
  // The static length of the time axis.
  var timeDim: Dim = .unknown
  if let steps, case .constant(let t) = steps.op { timeDim = .fixed(Int(t.scalarValue)) }
  for (i, (name, s)) in sequences.enumerated() {
    guard s.rank >= 1 else {
      return failure("sequence '\(name)' is \(s.type); a sequence needs a leading time axis", [s])
    }
    guard compatible(timeDim, s.shape[0]) else {
      let what = i == maskIndex ? "the mask" : "sequence '\(name)'"
      return failure("\(what) has \(s.shape[0]) steps, another length is \(timeDim)", sequences.map(\.1))
    }
    timeDim = preferNamed(timeDim, s.shape[0])
  }
  if case .fixed(0) = timeDim { return failure("a scan of zero steps", all) }

  // Placeholders. Everything made from here on belongs to the body.
  let index = Var(
    op: .input("t"), inputs: [], type: TensorType(.int32, []), location: location, failure: nil, name: "t")
  func slot(_ name: String, _ t: TensorType) -> Var {
    Var(op: .input(name), inputs: [], type: t, location: location, failure: nil, name: name)
  }
  let seqSlots = sequences.map { slot($0.0, TensorType($0.1.dtype, Array($0.1.shape.dropFirst()))) }
  let carrySlots = carries.map { slot($0.0, $0.1.type) }
  var constSlots = constants.map { slot($0.0, $0.1.type) }
  var dataSlots = seqSlots
  if let maskIndex { dataSlots.remove(at: maskIndex) }
  let arguments = LoopArguments(index: index, sequences: dataSlots, carries: carrySlots, constants: constSlots)
  guard let result = SourceLocation.with(location, { step(arguments) }) else {
    return .failed(failed("scan", "the step failed", all, at: location))
  }
  precondition(result.carries.count == carries.count, "buildLoop: one new value per carry")

  // Check what the step returned.
  var newCarries: [Var] = []
  for (j, ((n, initial), returned)) in zip(carries, result.carries).enumerated() {
    var c = returned
    if let f = c.failure { return .failed(failed("scan", f.message, [c], at: f.location)) }
    guard c.dtype == initial.dtype, c.rank == initial.rank,
      zip(c.shape, initial.shape).allSatisfy({ compatible($0, $1) })
    else {
      return failure(
        "carry '\(n)' starts as \(initial.type) but the step returns \(c.type); a carry must keep its type",
        [initial, c])
    }
    if let mask, let maskIndex {
      let m = seqSlots[maskIndex]
      guard c.rank >= 1 else {
        return failure(
          "with a mask [T, B], carry '\(n)' must have the batch axis first, but it is \(c.type)", [initial, mask])
      }
      guard compatible(c.shape[0], m.shape[0]) else {
        return failure(
          "the mask is \(mask.type) (batch size \(m.shape[0])) but carry '\(n)' is \(c.type) "
            + "(batch size \(c.shape[0])); a masked carry needs the batch axis first", [initial, mask])
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
  let outputNames = result.outputs.map(\.name)
  let stepOutputs = result.outputs.map(\.value)
  if let f = stepOutputs.lazy.compactMap(\.failure).first {
    return .failed(failed("scan", f.message, [], at: f.location))
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
  var usedNames = Set((sequences + carries + constants).map(\.0))
  while let v = stack.popLast() {
    guard visited.insert(ObjectIdentifier(v)).inserted else { continue }
    if isOuter(v) {
      captured.append(v)
      let base = v.name ?? captureName(v)
      var n = base
      var k = 2
      while usedNames.contains(n) {
        n = "\(base)#\(k)"
        k += 1
      }
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
    outputNames: outputNames, reverse: reverse, hasSteps: steps != nil, maskIndex: maskIndex, policy: policy,
    location: location, index: index, sequenceSlots: seqSlots, carrySlots: carrySlots, constantSlots: constSlots,
    bodyOutputs: bodyOutputs, timeDim: timeDim)
  let inputs = (steps.map { [$0] } ?? []) + sequences.map(\.1) + carries.map(\.1) + constants.map(\.1) + captured
  let node = Var(op: .scan(spec), inputs: inputs, type: ScanSpec.tupleType, location: location, failure: nil, name: nil)
  let nC = carries.count
  let final = carries.enumerated().map { j, c in tupleElement(node, j).named(c.0) }
  let outs = outputNames.enumerated().map { k, n in tupleElement(node, nC + k).named(n) }
  return BuiltLoop(node: node, final: final, outputs: outs)
}

/// The name of a captured enclosing variable that has none, for dumps: a scalar constant by its value
/// (`0.5`), another constant by its type (`constant f32[3,4]`), any other variable by its op.
private func captureName(_ v: Var) -> String {
  if case .constant(let t) = v.op {
    if t.count == 1 {
      let d = t.doubles[0]
      return t.dtype.isFloatingPoint ? "\(d)" : "\(Int(d))"
    }
    return "constant \(v.type)"
  }
  return v.op.name
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
