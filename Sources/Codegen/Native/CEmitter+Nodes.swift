import Graph
import SketchRuntime

extension CEmitter {
  /// The code of one node: buffer `id` computed from buffers `ins`. Each op's lowering is in its file
  /// under `Ops/`; elementwise nodes and fused kernels go through the generic elementwise emitter.
  func emitNode(
    _ node: FunctionGraph.Node, id: Int, ins: [Int], graph g: Int, index: Int, into w: inout CWriter,
    functions: inout CWriter
  ) throws {
    switch node.op {
    case .input, .constant, .shared, .tupleElement:
      return
    case .unary(let f):
      elementwise(id, ins, cost: Kernel.loopCost + f.cost, into: &w) { f.c(layout.dtype[ins[0]], $0[0]) }
    case .binary(let f):
      elementwise(id, ins, cost: Kernel.loopCost + f.cost, into: &w) { f.c(layout.dtype[ins[0]], $0[0], $0[1]) }
    case .select:
      elementwise(id, ins, cost: Kernel.loopCost + 1, into: &w) { "(\($0[0]) ? \($0[1]) : \($0[2]))" }
    case .cast(let to):
      elementwise(id, ins, cost: Kernel.loopCost + 1, into: &w) { castExpr(from: layout.dtype[ins[0]], to: to, $0[0]) }
    case .stopGradient, .clipGradient, .reshape:
      // The same bytes (`Op.isSameBytes`): the entry points at its input's buffer (no copy, no storage).
      w.line("B[\(id)] = B[\(ins[0])];")
    case .reduce(let f, let axes, _): emitReduce(f, axes: axes, id: id, ins: ins, into: &w)
    case .argmax(let axis, _): emitArgmax(axis: axis, id: id, ins: ins, into: &w)
    case .size(let axes, _): emitSize(axes: axes, id: id, ins: ins, into: &w)
    case .matmul(let ta, let tb): emitMatmul(transposeA: ta, transposeB: tb, id: id, ins: ins, into: &w)
    case .gemm(let gm): emitGemm(gm, id: id, ins: ins, into: &w)
    case .transpose(let perm): emitTranspose(perm, id: id, ins: ins, into: &w)
    case .broadcast: emitBroadcast(id: id, ins: ins, into: &w)
    case .slice(let ranges): emitSlice(ranges, id: id, ins: ins, into: &w)
    case .updateSlice(let ranges, let acc): emitUpdateSlice(ranges, accumulate: acc, id: id, ins: ins, into: &w)
    case .concat(let axis): emitConcat(axis: axis, id: id, ins: ins, into: &w)
    case .concatPart(let axis, _): emitConcatPart(axis: axis, id: id, ins: ins, into: &w)
    case .take(let axis): emitTake(id: id, x: ins[0], idx: ins[1], axis: axis, grad: nil, into: &w)
    case .takeGrad(let axis): emitTake(id: id, x: ins[0], idx: ins[1], axis: axis, grad: ins[2], into: &w)
    case .takeAlong(let axis): emitTakeAlong(id: id, x: ins[0], idx: ins[1], axis: axis, grad: nil, into: &w)
    case .takeAlongGrad(let axis):
      emitTakeAlong(id: id, x: ins[0], idx: ins[1], axis: axis, grad: ins[2], into: &w)
    case .oneHot(let depth, _): emitOneHot(depth: depth, id: id, ins: ins, into: &w)
    case .arange: emitArange(id: id, into: &w)
    case .cumsum(let axis, let reverse): emitCumsum(axis: axis, reverse: reverse, id: id, ins: ins, into: &w)
    case .random(let r): emitRandom(r, id: id, ins: ins, into: &w)
    case .foldKey: emitFoldKey(id: id, ins: ins, into: &w)
    case .scan(let spec): try emitScan(spec, graph: g, index: index, ins: ins, into: &w, functions: &functions)
    case .fused(let k): emitFused(k, id: id, ins: ins, graph: g, index: index, into: &w)
    }
  }

  /// The C expression that records a failure of node `id` (``KernelFailure``) and gives its code.
  func fail(_ id: Int, _ f: KernelFailure, _ a: String = "0", _ b: String = "0") -> String {
    "sk_fail(\(id), \(f.rawValue), \(a), \(b))"
  }

  /// A C literal of `v` in dtype `t`, rounded as the interpreter rounds it.
  static func literal(_ v: Double, _ t: DType) -> String {
    let c = ctype(t)
    if v.isNaN { return "((\(c))NAN)" }
    if v.isInfinite { return v > 0 ? "((\(c))INFINITY)" : "((\(c))-INFINITY)" }
    switch t {
    case .int32: return "((int32_t)\(Int32(converting: v)))"
    case .bool: return v != 0 ? "((uint8_t)1)" : "((uint8_t)0)"
    default: return "((\(c))\(String(v.bitPattern == 0 ? "0.0" : "\(v)")))"
    }
  }
}
