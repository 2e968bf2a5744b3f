import SketchRuntime

extension Interpreter {
  /// Runs a scan loop: the body once per step, carries threaded through, per-step outputs stacked by t.
  static func runScan(_ spec: ScanSpec, _ args: [Tensor]) throws -> [Tensor] {
    let operands = spec.roles(of: args)
    let (stepsArg, seqs, consts) = (operands.steps, operands.sequences, operands.constants)
    var carries = operands.carries
    let T = try spec.stepCount(
      steps: stepsArg.map { Int($0.scalarValue) }, sequences: seqs.map(\.shape), carries: carries.map(\.shape))
    let body = spec.bodyGraph
    let lastUses = body.lastUses()
    let nC = spec.carrySlots.count
    let initialShapes = carries.map(\.shape)
    var perStep = [[Tensor?]](repeating: [Tensor?](repeating: nil, count: T), count: body.outputs.count - nC)
    for it in 0..<T {
      let t = spec.reverse ? T - 1 - it : it
      let slices = seqs.map { row($0, t) }
      let out = try runUnchecked(
        body, arguments: [Tensor(scalar: Int32(t))] + slices + carries + consts, lastUses: lastUses)
      for j in 0..<nC where out[j].shape != initialShapes[j] {
        throw spec.carryShapeError(j, start: initialShapes[j], after: out[j].shape, step: "step \(t)")
      }
      carries = Array(out[..<nC])
      for k in 0..<(out.count - nC) { perStep[k][t] = out[nC + k] }
    }
    return try carries + perStep.enumerated().map { k, ts in try stackRows(ts.map { $0! }, name: k) }
  }

  /// Row t of a tensor along its leading axis.
  static func row(_ x: Tensor, _ t: Int) -> Tensor {
    let inner = Array(x.shape.dropFirst())
    let n = inner.reduce(1, *)
    let range = (t * n)..<((t + 1) * n)
    switch x.storage {
    case .float32(let a): return Tensor(shape: inner, Array(a[range]))
    case .float64(let a): return Tensor(shape: inner, Array(a[range]))
    case .int32(let a): return Tensor(shape: inner, Array(a[range]))
    case .bool(let a): return Tensor(shape: inner, Array(a[range]))
    }
  }

  /// Stacks equally shaped tensors along a new leading axis.
  static func stackRows(_ rows: [Tensor], name: Int) throws -> Tensor {
    let shape = rows[0].shape
    if let bad = rows.firstIndex(where: { $0.shape != shape }) {
      throw RuntimeError("per-step output \(name) has shape \(shape) at step 0 but \(rows[bad].shape) at step \(bad)")
    }
    func cat<T: TensorScalar>(_ parts: [[T]]) -> Tensor { Tensor(shape: [rows.count] + shape, parts.flatMap { $0 }) }
    switch rows[0].storage {
    case .float32: return cat(rows.map { $0.array(Float.self) })
    case .float64: return cat(rows.map { $0.array(Double.self) })
    case .int32: return cat(rows.map { $0.array(Int32.self) })
    case .bool: return cat(rows.map { $0.array(Bool.self) })
    }
  }
}
