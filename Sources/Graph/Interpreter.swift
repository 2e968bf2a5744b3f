import SketchRuntime

/// The reference backend: runs a ``FunctionGraph`` node by node with each op's Swift kernel.
///
/// It is the definition of what a graph computes; the native backend is tested against it.
public enum Interpreter {
  /// Runs the graph on `arguments` (one per input, in order) and returns the outputs.
  public static func run(_ graph: FunctionGraph, arguments: [Tensor]) throws -> [Tensor] {
    try checkArguments(graph, arguments)
    return try runUnchecked(graph, arguments: arguments)
  }

  /// Runs the graph without checking the arguments (scan bodies, whose slots are checked by the loop).
  static func runUnchecked(_ graph: FunctionGraph, arguments: [Tensor], lastUses: [Int]? = nil) throws -> [Tensor] {
    var values = [Tensor?](repeating: nil, count: graph.nodes.count)
    var tuples: [Int: [Tensor]] = [:]
    for (i, id) in graph.inputs.enumerated() { values[id] = arguments[i] }
    let last = lastUses ?? graph.lastUses()
    for (i, node) in graph.nodes.enumerated() where values[i] == nil {
      let args = node.inputs.map { values[$0]! }
      do {
        if case .scan(let spec) = node.op {
          tuples[i] = try runScan(spec, args)
          values[i] = Tensor(shape: [0], [Int32]())
        } else if case .tupleElement(let k) = node.op {
          values[i] = tuples[node.inputs[0]]![k]
        } else if case .fused(let k) = node.op, k.outputs.count > 1 {
          tuples[i] = try Kernels.fused(k, args, inputTypes: node.inputs.map { graph.nodes[$0].type })
          values[i] = Tensor(shape: [0], [Int32]())
        } else if node.op.isLeaf {
          values[i] = try evaluate(node, args, inputTypes: [])
        } else {
          // The shape rule (Op+Shape.swift) decides the result's shape and reports bad sizes; the
          // kernel (`evaluate`, exhaustive over the ops) must agree with it.
          let types = node.inputs.map { graph.nodes[$0].type }
          let shape = try node.op.resultShape(args.map(\.shape), types: types)
          let v = try evaluate(node, args, inputTypes: types)
          guard v.shape == shape else {
            throw RuntimeError(
              "the kernel made a \(v.shape) result where the shape rule says \(shape); please report this")
          }
          values[i] = v
        }
      } catch let e as RuntimeError {
        throw RuntimeError("\(node.location): \(node.op.name)\(node.name.map { " '\($0)'" } ?? ""): \(e.message)")
      }
      // Free what no later node reads.
      for j in node.inputs where last[j] == i {
        values[j] = nil
        tuples[j] = nil
      }
    }
    return graph.outputs.map { values[$0]! }
  }

  /// Checks count, dtype, rank and fixed dims of the arguments, and that each named dim symbol has
  /// one size across all of them.
  public static func checkArguments(_ graph: FunctionGraph, _ arguments: [Tensor]) throws {
    guard arguments.count == graph.inputs.count else {
      let names = graph.inputs.map { graph.nodes[$0].name ?? "?" }
      throw RuntimeError(
        "expected \(graph.inputs.count) arguments (\(names.joined(separator: ", "))), got \(arguments.count)")
    }
    var bound: [String: (Int, String)] = [:]
    for (i, id) in graph.inputs.enumerated() {
      let node = graph.nodes[id]
      let a = arguments[i]
      let name = node.name ?? "argument \(i)"
      guard a.dtype == node.type.dtype, node.type.accepts(a.shape) else {
        throw RuntimeError(
          "argument \(i) ('\(name)') must be \(node.type), got \(a.dtype.shortName)\(a.shape) (declared at \(node.location))"
        )
      }
      for (axis, d) in node.type.shape.enumerated() {
        guard case .symbol(let s) = d, !d.isAnonymous else { continue }
        if let (n, other) = bound[s], n != a.shape[axis] {
          throw RuntimeError(
            "dimension \(s) is \(n) in '\(other)' but \(a.shape[axis]) in '\(name)' (axis \(axis)); inputs that share a dimension name must agree"
          )
        }
        bound[s] = (a.shape[axis], name)
      }
    }
  }

  /// Runs one node's kernel on its argument values (each op's kernel is in its file under `Ops/`).
  public static func evaluate(_ node: FunctionGraph.Node, _ a: [Tensor], inputTypes: [TensorType]) throws -> Tensor {
    switch node.op {
    case .input, .constant, .shared: return try LeafRule.evaluate(node.op)
    case .unary(let f): return Kernels.unary(f, a[0])
    case .binary(let f): return try ElementwiseRule.binary(a, types: inputTypes, f)
    case .select: return try ElementwiseRule.select(a, types: inputTypes)
    case .cast(let d): return a[0].cast(to: d)
    case .reduce(let f, let axes, let keep): return Kernels.reduce(f, a[0], axes: axes, keepDims: keep)
    case .argmax(let axis, let keep): return Kernels.argmax(a[0], axis: axis, keepDims: keep)
    case .size(let axes, let d): return ReduceRule.size(a[0], axes: axes, dtype: d)
    case .matmul(let ta, let tb):
      let smallK = Kernels.smallContraction(inputTypes[0], transposeA: ta)
      return try Kernels.matmul(a[0], a[1], transposeA: ta, transposeB: tb, smallK: smallK)
    case .gemm(let g):
      return try Kernels.gemm(g, a, smallK: Kernels.smallContraction(inputTypes[0], transposeA: g.transposeA))
    case .transpose(let p): return Kernels.transpose(a[0], p)
    case .reshape(let items): return try ReshapeRule.evaluate(a, items)
    case .broadcast(let items):
      let shape = try Shapes.resolve(items, a.map(\.shape), count: nil)
      return try Kernels.broadcast(a[0], to: shape, declared: inputTypes[0])
    case .slice(let r): return try Kernels.slice(a[0], r)
    case .updateSlice(let r, let acc): return try Kernels.updateSlice(a[0], r, a[1], accumulate: acc)
    case .concat(let axis): return try Kernels.concat(a, axis: axis)
    case .concatPart(let axis, let index):
      return try Kernels.concatPart(a[0], parts: Array(a.dropFirst()), axis: axis, index: index)
    case .take(let axis): return try Kernels.take(a[0], a[1], axis: axis)
    case .takeGrad(let axis): return try Kernels.takeGrad(shapeOf: a[0], a[1], a[2], axis: axis)
    case .takeAlong(let axis): return try Kernels.takeAlong(a[0], a[1], axis: axis)
    case .takeAlongGrad(let axis): return try Kernels.takeAlongGrad(shapeOf: a[0], a[1], a[2], axis: axis)
    case .oneHot(let depth, let d): return try Kernels.oneHot(a[0], depth: depth, dtype: d)
    case .arange(let d, let n):
      return Kernels.arange(count: try Shapes.resolve([n], [[]] + a.map(\.shape), count: nil)[0], dtype: d)
    case .cumsum(let axis, let reverse): return try Kernels.cumsum(a[0], axis: axis, reverse: reverse)
    case .stopGradient, .clipGradient: return a[0]
    case .random(let r): return try Kernels.random(r, a)
    case .foldKey: return RandomRule.foldKey(a)
    case .scan, .tupleElement: throw RuntimeError("scan nodes run through Interpreter.run")
    case .fused(let k):
      guard k.outputs.count == 1 else { throw RuntimeError("multi-output kernels run through Interpreter.run") }
      return try Kernels.fused(k, a, inputTypes: inputTypes)[0]
    }
  }
}
