import Graph
import SketchRuntime

/// Loops that are one loop: differentiation leaves the forward loop as built and makes a copy over the
/// same operands and body that also outputs the values the backward loop reads (``ScanSpec/storing(_:)``).
/// This pass runs each such family as one loop: the copy with the most outputs (extended with the
/// others' stored values when two gradients stored different ones), every reader of a family member
/// reading the merged loop's matching output. Theano's `scan_merge` does the same for scans over the
/// same sequences; here the family is known exactly (the same body variables), so nothing is compared.
///
/// Loops in the enclosing graph merge first, so that the merged body holds both copies of a nested
/// loop; then each body is merged in turn.
enum ScanMerge {
  static let pass = Pass("scan-merge", "run a forward loop and its copies made for gradients as one loop") {
    g, ctx in
    try merged(g, &ctx) ?? g
  }

  /// `g` with its loop families merged, bodies included; nil when there was nothing to merge.
  static func merged(_ g: FunctionGraph, _ ctx: inout PassContext) throws -> FunctionGraph? {
    let e = GraphEditor(g)
    var changed = false
    var families: [[Int]] = []
    for n in e.liveNodes {
      guard case .scan(let spec) = e.op(n), !spec.isOptimized else { continue }
      if let f = families.firstIndex(where: { fam in
        guard case .scan(let s) = e.op(fam[0]) else { return false }
        return s.isSameLoop(as: spec) && e.args(fam[0]) == e.args(n)
      }) {
        families[f].append(n)
      } else {
        families.append([n])
      }
    }
    for family in families where family.count > 1 {
      try merge(family, e)
      ctx.count("merged loops", family.count - 1)
      changed = true
    }
    // Then inside every (merged) body.
    var bodyChanged = false
    try replaceLoopBodies(e) { body -> FunctionGraph? in
      let b = try merged(body, &ctx)
      if b != nil { bodyChanged = true }
      return b
    }
    return changed || bodyChanged ? e.finish() : nil
  }

  /// Replaces the loops of `family` (same body, same operands) by one loop with every output any of
  /// them has.
  private static func merge(_ family: [Int], _ e: GraphEditor) throws {
    func spec(_ n: Int) -> ScanSpec {
      guard case .scan(let s) = e.op(n) else { preconditionFailure("not a loop") }
      return s
    }
    let widest = family.max { spec($0).bodyOutputs.count < spec($1).bodyOutputs.count }!
    var union = spec(widest)
    var indices: [Int: [Int]] = [:]  // node -> its output k's index in the merged loop
    for n in family {
      let s = spec(n)
      let nC = s.carrySlots.count
      let (u, idx) = union.storing(Array(s.bodyOutputs[nC...]))
      union = u
      indices[n] = Array(0..<nC) + idx
    }
    let merged: Int
    if union === spec(widest) {
      merged = widest
    } else {
      merged = try e.add(.scan(union), e.args(widest), type: ScanSpec.tupleType, location: union.location)
    }
    for n in family where n != merged {
      for u in e.users(of: n) {
        guard case .tupleElement(let k) = e.op(u) else { continue }
        let t = try Loop.element(e, merged, indices[n]![k])
        e.replace(u, with: t)
      }
    }
  }
}
