import Graph
import Runtime

/// The concrete shapes of every buffer of a native function for one call, and the parameter array P.
struct ShapePlan {
  var shapes: [[Int]]
  var params: [Int64]

  init(layout: NativeLayout, arguments: [Tensor]) throws {
    shapes = [[Int]](repeating: [], count: layout.bufferCount)
    params = [Int64](repeating: 0, count: Swift.max(layout.paramCount, 1))
    let g0 = layout.graphs[0]
    var inputShapes: [Int: [Int]] = [:]
    var inputValues: [Int: Tensor] = [:]
    for (i, id) in g0.inputs.enumerated() {
      inputShapes[id] = arguments[i].shape
      inputValues[id] = arguments[i]
    }
    try infer(layout, 0, slots: inputShapes, values: inputValues)
    for b in 0..<layout.bufferCount {
      for (i, d) in shapes[b].enumerated() { params[layout.dimOffset[b] + i] = Int64(d) }
    }
  }

  private mutating func infer(_ L: NativeLayout, _ g: Int, slots: [Int: [Int]], values: [Int: Tensor]) throws {
    let graph = L.graphs[g]
    var scanOutputs: [Int: [[Int]]] = [:]
    for (n, node) in graph.nodes.enumerated() {
      let ins = node.inputs.map { shapes[L.id(g, $0)] }
      let b = L.id(g, n)
      var s: [Int]
      switch node.op {
      case .input(let name):
        guard let v = slots[n] else { throw NativeUnsupported(message: "input '\(name)' has no shape") }
        s = v
      case .constant(let t): s = t.shape
      case .shared(let sv): s = sv.value.shape
      case .unary, .cast, .stopGradient: s = ins[0]
      case .binary, .select:
        s = try broadcast(ins, types: node.inputs.map { graph.nodes[$0].type }, node)
      case .reduce(_, let axes, let keep):
        s = ins[0].enumerated().compactMap { axes.contains($0.offset) ? (keep ? 1 : nil) : $0.element }
      case .argmax(let axis, let keep):
        s = ins[0].enumerated().compactMap { $0.offset == axis ? (keep ? 1 : nil) : $0.element }
      case .matmul(let ta, let tb):
        let (a, bb) = (ins[0], ins[1])
        let (m, ka) = ta ? (a[a.count - 1], a[a.count - 2]) : (a[a.count - 2], a[a.count - 1])
        let (kb, nn) = tb ? (bb[bb.count - 1], bb[bb.count - 2]) : (bb[bb.count - 2], bb[bb.count - 1])
        guard ka == kb else { throw RuntimeError("\(node.location): matmul: inner dimensions differ: \(a) and \(bb)") }
        if bb.count > 2 && Array(bb.dropLast(2)) != Array(a.dropLast(2)) {
          throw RuntimeError("\(node.location): matmul: batch dimensions differ: \(a) and \(bb)")
        }
        s = Array(a.dropLast(2)) + [m, nn]
      case .transpose(let p): s = p.map { ins[0][$0] }
      case .reshape(let items):
        s = try resolve(items, ins, count: ins[0].reduce(1, *), node)
        guard s.reduce(1, *) == ins[0].reduce(1, *) else {
          throw RuntimeError("\(node.location): cannot reshape \(ins[0]) to \(s)")
        }
      case .broadcast(let items):
        s = try resolve(items, ins, count: nil, node)
        let x = ins[0]
        let t = graph.nodes[node.inputs[0]].type
        guard x.count <= s.count else { throw RuntimeError("\(node.location): cannot broadcast \(x) to \(s)") }
        for (i, d) in x.enumerated() where d != s[s.count - x.count + i] {
          guard d == 1, t.shape[i].isOne else {
            throw RuntimeError("\(node.location): cannot broadcast \(x) (\(t)) to \(s)")
          }
        }
      case .slice(let ranges), .updateSlice(let ranges, _):
        // The resolved start of every axis goes to P; the kept counts are the result's dims.
        var kept: [Int] = []
        for (i, d) in ins[0].enumerated() {
          let r = i < ranges.count ? ranges[i] : .all
          guard let (start, count) = r.resolve(d) else {
            throw RuntimeError("\(node.location): index \(r.start!) is out of range for axis \(i) of size \(d)")
          }
          params[L.auxOffset[b] + i] = Int64(start)
          if !r.isIndex { kept.append(count) }
        }
        if case .slice = node.op {
          s = kept
        } else {
          s = ins[0]
          guard fits(ins[1], kept) else {
            throw RuntimeError("\(node.location): a value of shape \(ins[1]) does not fit the slice \(kept)")
          }
        }
      case .concat(let axis):
        s = ins[0]
        s[axis] = ins.map { $0[axis] }.reduce(0, +)
        for x in ins where x.count != s.count || x.enumerated().contains(where: { $0.offset != axis && $0.element != s[$0.offset] }) {
          throw RuntimeError("\(node.location): cannot concatenate \(ins) along axis \(axis)")
        }
      case .concatPart(let axis, let index):
        s = ins[1 + index]
        params[L.auxOffset[b]] = Int64(ins[1..<(1 + index)].map { $0[axis] }.reduce(0, +))
      case .take(let axis): s = Array(ins[0][..<axis]) + ins[1] + Array(ins[0][(axis + 1)...])
      case .takeGrad: s = ins[0]
      case .size: s = []
      case .random(let r):
        switch r {
        case .uniform(_, let items), .normal(_, let items): s = try resolve(items, ins, count: nil, node)
        case .bernoulli: s = ins[1]
        case .categorical: s = Array(ins[1].dropLast())
        }
      case .foldKey: s = [2]
      case .scan(let spec):
        let body = L.bodyOf[ObjectIdentifier(spec)]!
        let outs = try inferScan(L, spec, body, graph: g, node: n, values: values)
        scanOutputs[n] = outs
        s = []
      case .tupleElement(let k):
        s = scanOutputs[node.inputs[0]]![k]
      case .fused(let k):
        let it = try broadcast(ins, types: node.inputs.map { graph.nodes[$0].type }, node)
        if k.outputs.count > 1 {
          scanOutputs[n] = Array(repeating: it, count: k.outputs.count)
          s = []
        } else {
          s = it
        }
      case .gemm(let gm):
        let (a, bb) = (ins[0], ins[1])
        let (m, ka) = gm.transposeA ? (a[1], a[0]) : (a[0], a[1])
        let (kb, nn) = gm.transposeB ? (bb[1], bb[0]) : (bb[0], bb[1])
        guard ka == kb else { throw RuntimeError("\(node.location): gemm: inner dimensions differ: \(a) and \(bb)") }
        s = [m, nn]
        if ins.count > 2 {
          _ = try broadcast([s, ins[2]], types: [node.type, graph.nodes[node.inputs[2]].type], node)
        }
      default:
        throw NativeUnsupported(message: "op \(node.op.name)")
      }
      shapes[b] = s
    }
  }

  private func fits(_ y: [Int], _ target: [Int]) -> Bool {
    guard y.count <= target.count else { return false }
    for (i, d) in y.enumerated() where d != 1 && d != target[target.count - y.count + i] { return false }
    return true
  }

  private mutating func inferScan(_ L: NativeLayout, _ spec: ScanSpec, _ body: Int, graph g: Int, node n: Int,
    values: [Int: Tensor]) throws -> [[Int]] {
    let graph = L.graphs[g]
    let node = graph.nodes[n]
    var k = 0
    var T: Int?
    if spec.hasSteps {
      let stepsNode = node.inputs[0]
      if case .constant(let t) = graph.nodes[stepsNode].op {
        T = Int(t.scalarValue)
      } else if let v = values[stepsNode] {
        T = Int(v.scalarValue)
      } else {
        throw NativeUnsupported(message: "a scan whose step count is computed inside the graph")
      }
      k = 1
    }
    let seqShapes = (0..<spec.sequenceSlots.count).map { shapes[L.id(g, node.inputs[k + $0])] }
    k += spec.sequenceSlots.count
    let carryShapes = (0..<spec.carrySlots.count).map { shapes[L.id(g, node.inputs[k + $0])] }
    k += spec.carrySlots.count
    let constShapes = (0..<spec.constantSlots.count).map { shapes[L.id(g, node.inputs[k + $0])] }
    let length = T ?? seqShapes.first?[0] ?? 0
    for (name, s) in zip(spec.sequenceNames, seqShapes) where s[0] != length {
      throw RuntimeError("sequence '\(name)' has \(s[0]) steps but the scan runs \(length) (scan at \(spec.location))")
    }
    guard length > 0 else {
      throw RuntimeError("a scan of \(length) steps (scan at \(spec.location)); scans need at least one step")
    }
    let bg = L.graphs[body]
    var slots: [Int: [Int]] = [:]
    let slotShapes = [[]] + seqShapes.map { Array($0.dropFirst()) } + carryShapes + constShapes
    for (i, id) in bg.inputs.enumerated() { slots[id] = slotShapes[i] }
    try infer(L, body, slots: slots, values: [:])
    let nC = spec.carrySlots.count
    for j in 0..<nC where shapes[L.id(body, bg.outputs[j])] != carryShapes[j] {
      throw RuntimeError("carry '\(spec.carryNames[j])' has shape \(carryShapes[j]) at the start but "
        + "\(shapes[L.id(body, bg.outputs[j])]) after a step (scan at \(spec.location))")
    }
    return bg.outputs.enumerated().map { j, o in
      let s = shapes[L.id(body, o)]
      return j < nC ? s : [length] + s
    }
  }

  private func broadcast(_ ins: [[Int]], types: [TensorType], _ node: FunctionGraph.Node) throws -> [Int] {
    let r = ins.map(\.count).max() ?? 0
    var out = [Int](repeating: 1, count: r)
    for s in ins {
      for (i, d) in s.enumerated() {
        let j = r - s.count + i
        if d == out[j] || d == 1 { continue }
        guard out[j] == 1 else { throw RuntimeError("\(node.location): \(node.op.name): shapes \(ins) do not broadcast") }
        out[j] = d
      }
    }
    for (s, t) in zip(ins, types) {
      for (i, d) in s.enumerated() where d == 1 && out[r - s.count + i] != 1 && !t.shape[i].isOne {
        throw RuntimeError("\(node.location): \(node.op.name): an operand of type \(t) has size 1 on axis \(i) at run time "
          + "and would broadcast to \(out[r - s.count + i]); only dims declared as 1 broadcast")
      }
    }
    return out
  }

  private func resolve(_ items: [ShapeItem], _ ins: [[Int]], count: Int?, _ node: FunctionGraph.Node) throws -> [Int] {
    var dims = items.map { item -> Int in
      switch item {
      case .fixed(let n): return n
      case .infer: return -1
      case .dimOf(let i, let a): return ins[i][a]
      }
    }
    if let k = dims.firstIndex(of: -1) {
      let known = dims.filter { $0 >= 0 }.reduce(1, *)
      guard let count, known > 0, count % known == 0 else {
        throw RuntimeError("\(node.location): cannot infer the -1 dimension of \(dims)")
      }
      dims[k] = count / known
    }
    return dims
  }
}
