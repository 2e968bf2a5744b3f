import Graph
import SketchRuntime

/// Elementwise fusion: maximal regions of elementwise nodes with one iteration shape become one
/// `fused(Kernel)` node each (a kernel of one instruction for a lone elementwise node, so that no
/// elementwise node is left outside a kernel).
///
/// Regions grow from their last node backwards through producers of the same static shape (inputs of
/// other shapes broadcast into the kernel). A producer that other nodes also read joins the region
/// and becomes one more output of the kernel. Growing stops where merging would create a cycle
/// between kernels (checked on the graph of kernels made so far) or pass a limit of ``Kernel``.
/// Scalar constants become immediates of the kernel.
enum Fusion {
  static let pass = Pass("fusion", "elementwise regions into fused kernels built from each op's scalar definition") {
    g, ctx in
    try fuse(g, &ctx)
  }

  static func fuse(_ g: FunctionGraph, _ ctx: inout PassContext) throws -> FunctionGraph {
    let e = GraphEditor(g)
    try replaceLoopBodies(e) { try fuse($0, &ctx) }
    let order = e.liveNodes
    let n = e.count
    var region = [Int](repeating: -1, count: n)
    var members: [[Int]] = []
    func isCandidate(_ i: Int) -> Bool { e.isAlive(i) && e.op(i).isElementwise }

    // The successors of a node or region in the graph of regions (nodes outside regions stand alone).
    func successors(ofNode i: Int) -> [Int] { e.users(of: i) }
    func reaches(from p: Int, to r: Int) -> Bool {
      // Is there a path p → x → ... → region r with x outside r? (Then merging p into r is a cycle.)
      search(successors(ofNode: p).filter { region[$0] != r }, target: r, seenRegions: [])
    }
    // Depth-first search from `start` over nodes and whole regions for a node of region `target`.
    func search(_ start: [Int], target: Int, seenRegions initial: Set<Int>) -> Bool {
      var seenNodes = Set<Int>()
      var seenRegions = initial
      var stack = start
      while let x = stack.popLast() {
        if region[x] == target { return true }
        if region[x] >= 0 {
          guard seenRegions.insert(region[x]).inserted else { continue }
          for m in members[region[x]] { stack.append(contentsOf: successors(ofNode: m)) }
        } else {
          guard seenNodes.insert(x).inserted else { continue }
          stack.append(contentsOf: successors(ofNode: x))
        }
      }
      return false
    }
    func immediate(_ i: Int) -> Bool {
      if case .constant(let t) = e.op(i), t.rank == 0 { return true }
      return false
    }
    func limitsHold(_ ms: [Int]) -> Bool {
      let set = Set(ms)
      let ins = Set(ms.flatMap { e.args($0) }.filter { !set.contains($0) && !immediate($0) })
      let outs = ms.filter { m in e.isOutput(m) || e.users(of: m).contains { !set.contains($0) } }
      return ms.count + ins.count <= Kernel.maxInstructions && ins.count <= Kernel.maxInputs
        && outs.count <= Kernel.maxOutputs
    }

    for root in order.reversed() where isCandidate(root) && region[root] < 0 {
      let r = members.count
      members.append([root])
      region[root] = r
      let shape = e.type(root).shape
      var frontier = [root]
      while let m = frontier.popLast() {
        for p in e.args(m) where isCandidate(p) && region[p] < 0 && e.type(p).shape == shape {
          guard !reaches(from: p, to: r), limitsHold(members[r] + [p]) else { continue }
          members[r].append(p)
          region[p] = r
          frontier.append(p)
        }
      }
    }

    // Merge regions of one shape that touch (one reads the other, or both read one value) when no
    // path between them leaves both: siblings and producer/consumer pairs become one kernel.
    func pathOutside(from a: Int, to b: Int) -> Bool {
      search(
        members[a].flatMap(successors(ofNode:)).filter { region[$0] != a && region[$0] != b }, target: b,
        seenRegions: [a])
    }
    var merged = true
    while merged {
      merged = false
      for p in order {
        let touching = ([p] + e.users(of: p)).map { region[$0] }.filter { $0 >= 0 }
        var rs: [Int] = []
        for r in touching where !rs.contains(r) { rs.append(r) }
        guard rs.count > 1 else { continue }
        for i in 0..<rs.count {
          for j in (i + 1)..<rs.count {
            let (a, b) = (rs[i], rs[j])
            guard !members[a].isEmpty, !members[b].isEmpty,
              e.type(members[a][0]).shape == e.type(members[b][0]).shape,
              limitsHold(members[a] + members[b]), !pathOutside(from: a, to: b), !pathOutside(from: b, to: a)
            else { continue }
            for m in members[b] { region[m] = a }
            members[a] += members[b]
            members[b] = []
            merged = true
          }
        }
      }
    }

    for ms in members where !ms.isEmpty {
      try emit(e, ms.sorted(), &ctx)
    }
    return e.finish()
  }

  /// Replaces the region `ms` (sorted in topological order) by one kernel node.
  static func emit(_ e: GraphEditor, _ ms: [Int], _ ctx: inout PassContext) throws {
    let set = Set(ms)
    var instructions: [Kernel.Instruction] = []
    var dtypes: [DType] = []
    var inputs: [Int] = []
    var slot: [Int: Int] = [:]  // graph node → instruction
    // Inputs first, in order of first use; scalar constants become immediates.
    for m in ms {
      for a in e.args(m) where !set.contains(a) && slot[a] == nil {
        if case .constant(let t) = e.op(a), t.rank == 0 { continue }
        slot[a] = instructions.count
        instructions.append(.input(inputs.count))
        dtypes.append(e.type(a).dtype)
        inputs.append(a)
      }
    }
    func operand(_ a: Int) -> Int {
      if let s = slot[a] { return s }
      guard case .constant(let t) = e.op(a) else { preconditionFailure("fusion: operand \(a) has no slot") }
      instructions.append(.constant(t.doubles[0]))
      dtypes.append(t.dtype)
      slot[a] = instructions.count - 1
      return instructions.count - 1
    }
    for m in ms {
      let ops = e.args(m).map(operand)
      let ins: Kernel.Instruction
      switch e.op(m) {
      case .unary(let f): ins = .unary(f, ops[0])
      case .binary(let f): ins = .binary(f, ops[0], ops[1])
      case .select: ins = .select(ops[0], ops[1], ops[2])
      case .cast(let d): ins = .cast(d, ops[0])
      case .input, .constant, .shared, .reduce, .argmax, .matmul, .transpose, .reshape, .broadcast, .slice,
        .updateSlice, .concat, .concatPart, .take, .takeGrad, .takeAlong, .takeAlongGrad, .oneHot, .arange, .cumsum, .size, .stopGradient, .clipGradient, .random, .foldKey, .scan,
        .tupleElement, .fused, .gemm:
        preconditionFailure("fusion: \(e.op(m).name) is not elementwise")
      }
      slot[m] = instructions.count
      instructions.append(ins)
      dtypes.append(e.type(m).dtype)
    }
    let outs = ms.filter { m in e.isOutput(m) || e.users(of: m).contains { !set.contains($0) } }
    let kernel = Kernel(instructions: instructions, dtypes: dtypes, outputs: outs.map { slot[$0]! })
    let loc = e.location(ms.last!)
    ctx.count("kernels")
    ctx.count("fused ops", ms.count)
    if outs.count == 1 {
      let f = try e.add(.fused(kernel), inputs, type: e.type(outs[0]), location: loc)
      e.replace(outs[0], with: f)
      return
    }
    ctx.count("multi-output kernels")
    let f = try e.add(.fused(kernel), inputs, type: ScanSpec.tupleType, location: loc)
    for (k, o) in outs.enumerated() {
      let t = try e.add(.tupleElement(k), [f], type: e.type(o), name: e.nodes[o].name, location: e.location(o))
      e.replace(o, with: t)
    }
  }
}
