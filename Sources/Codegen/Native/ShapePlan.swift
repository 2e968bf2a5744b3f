import Graph
import SketchRuntime

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
      // Leaves, loops and multi-output kernels here; every other node by the ops' shape rule.
      if case .input(let name) = node.op {
        guard let v = slots[n] else { throw NativeUnsupported(message: "input '\(name)' has no shape") }
        s = v
      } else if case .scan(let spec) = node.op {
        let body = L.bodyOf[ObjectIdentifier(spec)]!
        scanOutputs[n] = try inferScan(L, spec, body, graph: g, node: n, values: values)
        s = []
      } else if case .tupleElement(let k) = node.op {
        s = scanOutputs[node.inputs[0]]![k]
      } else {
        do {
          s = try node.op.resultShape(ins, types: node.inputs.map { graph.nodes[$0].type })
        } catch let e as RuntimeError {
          throw RuntimeError("\(node.location): \(node.op.name)\(node.name.map { " '\($0)'" } ?? ""): \(e.message)")
        }
        if case .fused(let k) = node.op, k.outputs.count > 1 {
          scanOutputs[n] = Array(repeating: s, count: k.outputs.count)
          s = []
        }
      }
      // Run-time parameters beside the sizes: slice starts, a concatenation part's offset.
      switch node.op {
      case .slice(let ranges), .updateSlice(let ranges, _):
        for (i, start) in try Shapes.sliceStarts(ranges, ins[0]).starts.enumerated() {
          params[L.auxOffset[b] + i] = Int64(start)
        }
      case .concatPart(let axis, let index):
        params[L.auxOffset[b]] = Int64(ins[1..<(1 + index)].map { $0[axis] }.reduce(0, +))
      case .input, .constant, .shared, .unary, .binary, .select, .cast, .reduce, .argmax, .matmul, .transpose,
        .reshape, .broadcast, .concat, .take, .takeGrad, .takeAlong, .takeAlongGrad, .oneHot, .arange, .cumsum, .size, .stopGradient, .clipGradient, .random, .foldKey, .scan,
        .tupleElement, .fused, .gemm:
        break
      }
      shapes[b] = s
    }
  }

  private mutating func inferScan(
    _ L: NativeLayout, _ spec: ScanSpec, _ body: Int, graph g: Int, node n: Int,
    values: [Int: Tensor]
  ) throws -> [[Int]] {
    let graph = L.graphs[g]
    let node = graph.nodes[n]
    let operands = spec.roles(of: node.inputs)
    var T: Int?
    if let stepsNode = operands.steps {
      if case .constant(let t) = graph.nodes[stepsNode].op {
        T = Int(t.scalarValue)
      } else if let v = values[stepsNode] {
        T = Int(v.scalarValue)
      } else {
        throw NativeUnsupported(message: "a scan whose step count is computed inside the graph")
      }
    }
    let seqShapes = operands.sequences.map { shapes[L.id(g, $0)] }
    let carryShapes = operands.carries.map { shapes[L.id(g, $0)] }
    let constShapes = operands.constants.map { shapes[L.id(g, $0)] }
    let length = try spec.stepCount(steps: T, sequences: seqShapes, carries: carryShapes)
    let bg = L.graphs[body]
    var slots: [Int: [Int]] = [:]
    let slotShapes = [[]] + seqShapes.map { Array($0.dropFirst()) } + carryShapes + constShapes
    for (i, id) in bg.inputs.enumerated() { slots[id] = slotShapes[i] }
    try infer(L, body, slots: slots, values: [:])
    let nC = spec.carrySlots.count
    for j in 0..<nC where shapes[L.id(body, bg.outputs[j])] != carryShapes[j] {
      throw spec.carryShapeError(j, start: carryShapes[j], after: shapes[L.id(body, bg.outputs[j])], step: "step 0")
    }
    return bg.outputs.enumerated().map { j, o in
      let s = shapes[L.id(body, o)]
      return j < nC ? s : [length] + s
    }
  }

}
