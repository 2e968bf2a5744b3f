import Graph
import SketchRuntime

/// A scan node of a graph being edited, split by role: what the loop passes read and rebuild.
///
/// Outer inputs are `[steps?] + sequences + initial carries + constants`. The body's arguments are
/// `[t] + sequence slices + carries + constants`; its outputs are the new carries, then the per-step
/// outputs. The node's outputs (read with `tupleElement(k)`) are the final carries, then the stacked
/// per-step outputs.
struct Loop {
  let node: Int
  let spec: ScanSpec
  let body: FunctionGraph
  var steps: Int?
  var sequences: [Int]
  var carries: [Int]
  var constants: [Int]
  var sequenceNames: [String]
  var carryNames: [String]
  var constantNames: [String]
  var outputNames: [String]
  /// Which of `sequences` is the mask, if the loop has one (kept as the passes add or drop sequences).
  var maskIndex: Int?

  init?(_ e: GraphEditor, _ n: Int) {
    guard e.isAlive(n), case .scan(let spec) = e.op(n) else { return nil }
    node = n
    self.spec = spec
    body = spec.bodyGraph
    let roles = spec.roles(of: e.args(n))
    (steps, sequences, carries, constants) = (roles.steps, roles.sequences, roles.carries, roles.constants)
    sequenceNames = spec.sequenceNames
    carryNames = spec.carryNames
    constantNames = spec.constantNames
    outputNames = Loop.allOutputNames(spec)
    maskIndex = spec.maskIndex
  }

  /// Names for every per-step output: the user's, then `stored<k>` for values kept for the gradient.
  static func allOutputNames(_ spec: ScanSpec) -> [String] {
    let n = spec.bodyGraph.outputs.count - spec.carryNames.count
    return spec.outputNames + (spec.outputNames.count..<max(n, spec.outputNames.count)).map { "stored\($0)" }
  }

  var nS: Int { sequenceNames.count }
  var nC: Int { carryNames.count }
  var nK: Int { constantNames.count }

  /// Body argument ids.
  var indexSlot: Int { body.inputs[0] }
  func sequenceSlot(_ i: Int) -> Int { body.inputs[1 + i] }
  func carrySlot(_ j: Int) -> Int { body.inputs[1 + nS + j] }
  func constantSlot(_ k: Int) -> Int { body.inputs[1 + nS + nC + k] }

  /// The `tupleElement` readers of the node, by output index.
  func projections(_ e: GraphEditor) -> [Int: [Int]] {
    var r: [Int: [Int]] = [:]
    for u in e.users(of: node) {
      if case .tupleElement(let k) = e.op(u) { r[k, default: []].append(u) }
    }
    return r
  }

  /// Adds the loop rebuilt around `body` (whose signature follows this value's names) and returns it.
  func add(to e: GraphEditor, body newBody: FunctionGraph) throws -> Int {
    let spec2 = ScanSpec(
      optimizedBody: newBody, sequenceNames: sequenceNames, carryNames: carryNames, constantNames: constantNames,
      outputNames: outputNames, reverse: spec.reverse, hasSteps: spec.hasSteps, maskIndex: maskIndex, policy: spec.policy,
      location: spec.location, timeDim: spec.timeDim)
    let ins = (steps.map { [$0] } ?? []) + sequences + carries + constants
    return try e.add(.scan(spec2), ins, type: ScanSpec.tupleType, location: spec.location)
  }

  /// Output `k` of loop node `n` (a `tupleElement` node).
  static func element(_ e: GraphEditor, _ n: Int, _ k: Int) throws -> Int {
    guard case .scan(let spec) = e.op(n) else { preconditionFailure("not a loop") }
    return try e.add(.tupleElement(k), [n], type: spec.outputTypes[k], location: spec.location)
  }
}

/// Whether every node of `body` reachable from `roots` is listed, by id (the body's ancestors of roots).
func ancestors(_ g: FunctionGraph, _ roots: [Int]) -> Set<Int> {
  var seen = Set<Int>()
  var stack = roots
  while let v = stack.popLast() {
    guard seen.insert(v).inserted else { continue }
    stack.append(contentsOf: g.nodes[v].inputs)
  }
  return seen
}

/// For each node, whether it depends on one of `sources` (or is one).
func dependents(_ g: FunctionGraph, _ sources: Set<Int>) -> [Bool] {
  var d = [Bool](repeating: false, count: g.nodes.count)
  for (i, n) in g.nodes.enumerated() { d[i] = sources.contains(i) || n.inputs.contains { d[$0] } }
  return d
}

/// Replaces every loop node of `e` whose body `transform` changes by a loop around the new body.
/// Applies `transform` to every loop of `g`, the loops inside loop bodies first.
func transformLoops(
  _ g: FunctionGraph, _ ctx: inout PassContext, _ transform: (GraphEditor, Loop, inout PassContext) throws -> Void
) throws -> FunctionGraph {
  let e = GraphEditor(g)
  try replaceLoopBodies(e) { try transformLoops($0, &ctx, transform) }
  for n in e.liveNodes {
    guard let loop = Loop(e, n) else { continue }
    try transform(e, loop, &ctx)
  }
  return e.finish()
}

func replaceLoopBodies(_ e: GraphEditor, _ transform: (FunctionGraph) throws -> FunctionGraph?) throws {
  for n in e.liveNodes {
    guard let loop = Loop(e, n), let newBody = try transform(loop.body) else { continue }
    let m = try loop.add(to: e, body: newBody)
    e.replace(n, with: m)
  }
}

func replaceLoopBodies(_ e: GraphEditor, _ transform: (FunctionGraph) throws -> FunctionGraph) throws {
  try replaceLoopBodies(e) { (b: FunctionGraph) -> FunctionGraph? in try transform(b) }
}

/// The scalar or leaf nodes that can be copied from a loop body into the enclosing graph as they are.
func isCopyableLeaf(_ op: Op) -> Bool {
  if case .input = op { return false }
  return op.isLeaf
}

/// Whether `op` is a loop (a multi-output node read with `tupleElement`).
func isTuple(_ op: Op) -> Bool {
  if case .scan = op { return true }
  return false
}

/// Whether `op` is a matrix product (`matmul` or `gemm`).
func isProduct(_ op: Op) -> Bool {
  if case .matmul = op { return true }
  if case .gemm = op { return true }
  return false
}

/// Whether `op` is a `broadcast`.
func isBroadcast(_ op: Op) -> Bool {
  if case .broadcast = op { return true }
  return false
}
