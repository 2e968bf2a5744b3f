import Graph
import SketchRuntime

/// What the loop passes share: which body nodes vary from step to step, and copying the invariant
/// part of a body into the enclosing graph.
extension Loop {
  /// For each body node, whether it depends on t, a sequence slice or a carry.
  var variant: [Bool] {
    let sources = Set([indexSlot] + (0..<nS).map(sequenceSlot) + (0..<nC).map(carrySlot))
    return dependents(body, sources)
  }

  /// The readers of each body node.
  var bodyUsers: [[Int]] {
    var u = [[Int]](repeating: [], count: body.nodes.count)
    for (i, n) in body.nodes.enumerated() { for j in Set(n.inputs) { u[j].append(i) } }
    return u
  }

  /// The outer node computing the invariant body node `v` (constants, parameters and constant
  /// slots, and what is computed from them only), made in `e` as needed; nil if `v` varies.
  func copyOut(_ v: Int, _ e: GraphEditor, _ variant: [Bool], _ memo: inout [Int: Int]) throws -> Int? {
    if let m = memo[v] { return m }
    guard !variant[v] else { return nil }
    let node = body.nodes[v]
    let r: Int
    if case .input = node.op {
      guard let k = (0..<nK).first(where: { constantSlot($0) == v }) else { return nil }
      r = constants[k]
    } else {
      var ins: [Int] = []
      for i in node.inputs {
        guard let c = try copyOut(i, e, variant, &memo) else { return nil }
        ins.append(c)
      }
      r = try e.add(node.op, ins, type: node.type, name: node.name, location: node.location)
    }
    memo[v] = r
    return r
  }
}

/// Loop-invariant code motion: body nodes that depend only on constants (parameters, constant slots,
/// literals) are computed once before the loop and passed in as new constants.
enum HoistInvariants {
  static let pass = Pass("hoist-invariants", "move loop-invariant work out of loop bodies (inner loops first)") {
    g, ctx in
    try transformLoops(g, &ctx, hoistLoop)
  }

  static func hoistLoop(_ e: GraphEditor, _ loop: Loop, _ ctx: inout PassContext) throws {
    let body = loop.body
    let variant = loop.variant
    let users = loop.bodyUsers
    let outputs = Set(body.outputs)
    // The invariant computed nodes that a varying node (or the loop's outputs) reads.
    let frontier = body.nodes.indices.filter { i in
      let op = body.nodes[i].op
      if op.isLeaf || isTuple(op) { return false }
      if case .fused(let k) = op, k.outputs.count > 1 { return false }
      return !variant[i] && (outputs.contains(i) || users[i].contains { variant[$0] })
    }
    guard !frontier.isEmpty else { return }
    var memo: [Int: Int] = [:]
    var outer: [Int] = []
    for f in frontier {
      guard let c = try loop.copyOut(f, e, variant, &memo) else { return }
      outer.append(c)
    }
    let b = GraphEditor(body)
    var names: [String] = []
    for (k, f) in frontier.enumerated() {
      let name = "hoisted\(loop.nK + k)" + (body.nodes[f].name.map { ":\($0)" } ?? "")
      let s = b.addPlaceholder(name, body.nodes[f].type, location: body.nodes[f].location)
      b.inputs.append(s)
      b.replace(f, with: s)
      names.append(name)
    }
    var l = loop
    l.constants += outer
    l.constantNames += names
    let m = try l.add(to: e, body: b.finish())
    e.replace(loop.node, with: m)
    ctx.count("hoisted values", frontier.count)
  }
}
