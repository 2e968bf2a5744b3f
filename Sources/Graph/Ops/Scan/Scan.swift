import Foundation
import SketchRuntime

/// Which forward values the gradient of a scan keeps from the forward loop.
public enum ScanPolicy: String, Sendable, Hashable {
  /// The default: keep the fewest bytes per step from which the backward step gets every value it
  /// reads, recomputing cheap values (elementwise, shape and reduction ops) from stored ones where
  /// that keeps less: a minimum cut of the forward step (``storedValues``). Products, loops and
  /// random draws are never recomputed. For an LSTM this keeps the pre-activation `[B, 4H]` instead of
  /// the four gates and `tanh(c)` (`[B, 5H]`), and lets the gradient loop write the gates' gradients
  /// over it.
  case store
  /// Keep every per-step value the backward step reads, as the forward step computed it (no
  /// recomputation at all; more memory).
  case storeAll
  /// Keep only the carries of each step; the backward step recomputes the rest from them.
  case recompute
}

/// The loop of a `scan` node: its body graph (its own variables, with placeholders) and its signature.
///
/// A scan node's inputs are `[steps?] + sequences + initial carries + constants`; it has several
/// outputs, read with `tupleElement(k)`: the final carries, then the per-step outputs stacked along a
/// new leading time axis (entry t is the output of time step t, also for reverse scans), then the
/// values stored for the gradient.
///
/// A spec never changes once made. Differentiation does not add outputs to a loop: it makes a new
/// loop (``storing(_:)``) over the same body and operands that also outputs the values the backward
/// loop reads; the optimizer's `scan-merge` pass then runs the two as one.
public final class ScanSpec: Hashable, @unchecked Sendable {
  /// The sequences' names, in slot order (the mask, when the loop has one, is among them as `mask`).
  public let sequenceNames: [String]
  /// The carries' names, in slot order (also the order of the node's final-carry outputs).
  public let carryNames: [String]
  /// The constants' names, in slot order: the user's, then the captured enclosing variables'.
  public let constantNames: [String]
  /// The user's per-step outputs' names, in output order (values stored for the gradient are unnamed).
  public let outputNames: [String]
  /// Whether the loop runs t = T-1 down to 0 (stacked outputs are still indexed by t).
  public let reverse: Bool
  /// Whether the node's first operand is the step count (an int32 scalar, `scan(steps:)`).
  public let hasSteps: Bool
  /// What the gradient keeps from the forward loop.
  public let policy: ScanPolicy
  /// Which sequence is the mask (see `scan(mask:)`), if the loop has one: a role, not a name.
  public let maskIndex: Int?
  /// Where the `scan` call was written.
  public let location: SourceLocation
  /// The int32 scalar placeholder holding the time index t of the current step.
  public let index: Var
  /// The body's placeholders for the sequences' slices at step t (each sequence's type without its time
  /// axis).
  public let sequenceSlots: [Var]
  /// The body's placeholders for the carries of the previous step (the carries' types).
  public let carrySlots: [Var]
  /// The body's placeholders for the constants (the constants' types).
  public let constantSlots: [Var]
  private let lock = NSLock()
  /// New carries, then per-step outputs (user outputs, then stored values).
  public let bodyOutputs: [Var]
  /// The types of the node's outputs: final carries, then stacked per-step outputs.
  public let outputTypes: [TensorType]
  private var _bodyGraph: FunctionGraph?
  /// The static length of the loop.
  public let timeDim: Dim
  /// True for loops the optimizer rebuilt around an optimized body graph (no gradient; see
  /// ``init(optimizedBody:sequenceNames:carryNames:constantNames:outputNames:reverse:hasSteps:maskIndex:policy:location:timeDim:)``).
  public let isOptimized: Bool

  /// A loop built by `scan` (or by the gradient, ``storing(_:)``): its body is the variables
  /// `bodyOutputs` depend on, over the slots.
  convenience init(
    sequenceNames: [String], carryNames: [String], constantNames: [String], outputNames: [String],
    reverse: Bool, hasSteps: Bool, maskIndex: Int?, policy: ScanPolicy, location: SourceLocation, index: Var,
    sequenceSlots: [Var], carrySlots: [Var], constantSlots: [Var], bodyOutputs: [Var], timeDim: Dim
  ) {
    self.init(
      names: (sequenceNames, carryNames, constantNames, outputNames), reverse: reverse, hasSteps: hasSteps,
      maskIndex: maskIndex, policy: policy, location: location, index: index,
      slots: (sequenceSlots, carrySlots, constantSlots), bodyOutputs: bodyOutputs, body: nil,
      outputTypes: bodyOutputs.map(\.type), timeDim: timeDim)
  }

  /// A loop around a body graph made by the optimizer. The body's arguments are the index t, the
  /// sequence slices, the carries and the constants; its outputs are the new carries, then the
  /// per-step outputs (`outputNames` names them all). Such a loop runs and prints like any other, but
  /// it has no gradient: differentiate before compiling.
  public convenience init(
    optimizedBody body: FunctionGraph, sequenceNames: [String], carryNames: [String], constantNames: [String],
    outputNames: [String], reverse: Bool, hasSteps: Bool, maskIndex: Int?, policy: ScanPolicy,
    location: SourceLocation, timeDim: Dim
  ) {
    precondition(
      body.inputs.count == 1 + sequenceNames.count + carryNames.count + constantNames.count,
      "ScanSpec: the body's arguments do not match the signature")
    precondition(
      body.outputs.count == carryNames.count + outputNames.count,
      "ScanSpec: the body's outputs do not match the signature")
    func slot(_ k: Int, _ name: String) -> Var {
      Var(
        op: .input(name), inputs: [], type: body.nodes[body.inputs[k]].type, location: location, failure: nil,
        name: name)
    }
    let nS = sequenceNames.count
    let nC = carryNames.count
    self.init(
      names: (sequenceNames, carryNames, constantNames, outputNames), reverse: reverse, hasSteps: hasSteps,
      maskIndex: maskIndex, policy: policy, location: location, index: slot(0, "t"),
      slots: (
        sequenceNames.enumerated().map { slot(1 + $0, $1) }, carryNames.enumerated().map { slot(1 + nS + $0, $1) },
        constantNames.enumerated().map { slot(1 + nS + nC + $0, $1) }
      ), bodyOutputs: [], body: body, outputTypes: body.outputs.map { body.nodes[$0].type }, timeDim: timeDim)
  }

  /// Every member from its value: `outputTypes` are the body outputs' types (per step), `body` the
  /// optimizer's body graph (nil: the graph of `bodyOutputs`, made when first asked for).
  private init(
    names: (sequences: [String], carries: [String], constants: [String], outputs: [String]), reverse: Bool,
    hasSteps: Bool, maskIndex: Int?, policy: ScanPolicy, location: SourceLocation, index: Var,
    slots: (sequences: [Var], carries: [Var], constants: [Var]), bodyOutputs: [Var], body: FunctionGraph?,
    outputTypes: [TensorType], timeDim: Dim
  ) {
    self.sequenceNames = names.sequences
    self.carryNames = names.carries
    self.constantNames = names.constants
    self.outputNames = names.outputs
    self.reverse = reverse
    self.hasSteps = hasSteps
    self.maskIndex = maskIndex
    self.policy = policy
    self.location = location
    self.index = index
    self.sequenceSlots = slots.sequences
    self.carrySlots = slots.carries
    self.constantSlots = slots.constants
    self.bodyOutputs = bodyOutputs
    self._bodyGraph = body
    self.timeDim = timeDim
    self.isOptimized = body != nil
    // Final carries as they are; per-step outputs stacked along a leading time axis.
    let nC = slots.carries.count
    self.outputTypes = outputTypes.enumerated().map { j, t in j < nC ? t : TensorType(t.dtype, [timeDim] + t.shape) }
  }

  /// The body's placeholders in argument order: the index t, the sequence slices, the carries, the
  /// constants.
  var bodyInputs: [Var] { [index] + sequenceSlots + carrySlots + constantSlots }

  /// The body as a function graph (arguments: index, sequence slices, carries, constants).
  public var bodyGraph: FunctionGraph {
    lock.withLock {
      if let g = _bodyGraph { return g }
      // The body was type-checked and its free variables captured when the scan was built.
      let g = try! FunctionGraph(inputs: [index] + sequenceSlots + carrySlots + constantSlots, outputs: bodyOutputs)
      _bodyGraph = g
      return g
    }
  }

  /// The same loop (same body variables and operands) that also outputs every value of `values` (body
  /// variables) at every step, and the node output index of each. Values the loop already outputs per
  /// step are not added twice. The gradient uses this to keep what the backward loop reads.
  public func storing(_ values: [Var]) -> (spec: ScanSpec, indices: [Int]) {
    precondition(!isOptimized, "an optimized loop has no gradient: differentiate before compiling")
    var outs = bodyOutputs
    let indices = values.map { v -> Int in
      if let j = outs.indices.first(where: { $0 >= carrySlots.count && outs[$0] === v }) { return j }
      outs.append(v)
      return outs.count - 1
    }
    if outs.count == bodyOutputs.count { return (self, indices) }
    let spec = ScanSpec(
      sequenceNames: sequenceNames, carryNames: carryNames, constantNames: constantNames, outputNames: outputNames,
      reverse: reverse, hasSteps: hasSteps, maskIndex: maskIndex, policy: policy, location: location, index: index,
      sequenceSlots: sequenceSlots, carrySlots: carrySlots, constantSlots: constantSlots, bodyOutputs: outs,
      timeDim: timeDim)
    return (spec, indices)
  }

  /// Whether `other` is this loop with other stored outputs (both made from one `scan` call, through
  /// ``storing(_:)``): the same body variables, so the same carries. Two such nodes over the same
  /// operands compute the same values step by step (the optimizer's `scan-merge` runs them as one loop).
  public func isSameLoop(as other: ScanSpec) -> Bool {
    !isOptimized && !other.isOptimized && index === other.index && reverse == other.reverse
      && policy == other.policy && hasSteps == other.hasSteps
  }

  /// Whether `a` and `b` are the same object (loops are compared by identity).
  public static func == (a: ScanSpec, b: ScanSpec) -> Bool { a === b }
  /// Feeds the object's identity into `h`.
  public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }

  /// The type scan nodes carry (they are tuples; read them with `tupleElement`).
  public static let tupleType = TensorType(.int32, [.symbol("tuple")])
}

/// What the step function of a scan receives: the slices, carries and constants of one step, by name.
public struct ScanStep {
  /// The time index t of this step (int32 scalar): 0...T-1, descending in a reverse scan.
  public let index: Var
  let named: [String: Var]
  let location: SourceLocation

  /// The sequence slice, carry or constant called `name`.
  public subscript(_ name: String) -> Var {
    if let v = named[name] { return v }
    return failed(
      "scan",
      "the step asked for '\(name)', which is not a sequence, carry or constant of this scan "
        + "(have: \(named.keys.sorted().joined(separator: ", ")))", [], at: location)
  }
}

/// What a step returns: the new value of every carry, and per-step outputs, by name.
public struct ScanStepResult {
  /// The new value of each carry, by name: every carry of the scan, each with its initial value's type.
  public var carries: [String: Var]
  /// The per-step outputs, by name; the scan stacks each along a new leading time axis.
  public var outputs: [String: Var]
  /// A step's result; both dictionaries are empty by default.
  public init(carries: [String: Var] = [:], outputs: [String: Var] = [:]) {
    self.carries = carries
    self.outputs = outputs
  }
}

/// Variables by name; asking for a missing name gives a failed variable that says which names exist.
public struct NamedVars: Sequence {
  /// The variables, by name.
  public let values: [String: Var]
  let what: String
  let anchor: Var

  /// The variable called `name`; a missing name gives a failed variable whose error lists the names.
  public subscript(_ name: String) -> Var {
    if let v = values[name] { return v }
    return failed(
      "scan", "no \(what) '\(name)' (have: \(values.keys.sorted().joined(separator: ", ")))",
      [anchor], at: anchor.location)
  }

  /// The names, sorted.
  public var names: [String] { values.keys.sorted() }
  /// An iterator over the (name, variable) pairs, in the dictionary's order (not sorted).
  public func makeIterator() -> Dictionary<String, Var>.Iterator { values.makeIterator() }
}

/// The results of a scan: per-step outputs stacked to [T, ...], and the final carries, by name.
public struct ScanResult {
  /// The scan node (a multi-output node).
  public let node: Var
  /// The per-step outputs, stacked along a leading time axis (entry t is step t's output).
  public let outputs: NamedVars
  /// The carries after the last step.
  public let final: NamedVars

  init(node: Var, outputs: [String: Var], final: [String: Var]) {
    self.node = node
    self.outputs = NamedVars(values: outputs, what: "per-step output", anchor: node)
    self.final = NamedVars(values: final, what: "carry", anchor: node)
  }

  /// The stacked per-step output called `name`.
  public subscript(_ name: String) -> Var { outputs[name] }
}

/// The output `k` of a multi-output node (a scan).
public func tupleElement(_ node: Var, _ k: Int) -> Var {
  guard case .scan(let spec) = node.op else {
    return failed("tupleElement", "\(node.operandDescription) has a single output", [node], at: node.location)
  }
  if let f = node.failure {
    return Var(
      op: .tupleElement(k), inputs: [node], type: spec.outputTypes[k], location: node.location, failure: f, name: nil)
  }
  let name = k < spec.carryNames.count ? spec.carryNames[k] : nil
  return Var(
    op: .tupleElement(k), inputs: [node], type: spec.outputTypes[k], location: node.location,
    failure: nil, name: name)
}

/// A scan node's operands (or its body's arguments) by role, split once from the flat list the node
/// holds: `[steps?] + sequences + initial carries + constants` for the node, `[t] + sequence slices +
/// carries + constants` for the body. The mask, when the loop has one, is one of the sequences
/// (``ScanSpec/maskIndex``).
public struct ScanRoles<T> {
  /// The step count (node operands of a loop made with `steps:`), or the index t (body arguments).
  public var steps: T?
  /// Every sequence, the mask included (in slot order).
  public var sequences: [T]
  /// The carries (initial values for a node, the previous step's values for a body).
  public var carries: [T]
  /// The constants, captured enclosing variables included.
  public var constants: [T]
  /// The mask sequence: 1 where a carry advances, 0 where it is frozen (see `scan(mask:)`).
  public var mask: T?

  /// The sequences without the mask.
  public var dataSequences: [T] {
    guard let maskIndex else { return sequences }
    var s = sequences
    s.remove(at: maskIndex)
    return s
  }
  /// The mask's position among `sequences`.
  public var maskIndex: Int?

  /// The flat list again, in the node's (or the body's) order.
  public var all: [T] { (steps.map { [$0] } ?? []) + sequences + carries + constants }
}

extension ScanSpec {
  /// Whether the loop has a mask.
  public var hasMask: Bool { maskIndex != nil }

  /// The node's operands by role; `operands` must be as many as the signature says.
  public func roles<T>(of operands: [T]) -> ScanRoles<T> {
    split(operands, leading: hasSteps)
  }

  /// The body's arguments by role (`steps` is the index t).
  public func bodyRoles<T>(of arguments: [T]) -> ScanRoles<T> {
    split(arguments, leading: true)
  }

  /// How many operands a node of this loop takes.
  public var operandCount: Int {
    (hasSteps ? 1 : 0) + sequenceNames.count + carryNames.count + constantNames.count
  }

  private func split<T>(_ xs: [T], leading: Bool) -> ScanRoles<T> {
    let off = leading ? 1 : 0
    let nS = sequenceNames.count
    let nC = carryNames.count
    precondition(
      xs.count == off + nS + nC + constantNames.count,
      "scan at \(location): \(xs.count) operands for \(nS) sequences, \(nC) carries and \(constantNames.count) constants"
    )
    let seqs = Array(xs[off..<(off + nS)])
    return ScanRoles(
      steps: leading ? xs[0] : nil, sequences: seqs, carries: Array(xs[(off + nS)..<(off + nS + nC)]),
      constants: Array(xs[(off + nS + nC)...]), mask: maskIndex.map { seqs[$0] }, maskIndex: maskIndex)
  }
}
