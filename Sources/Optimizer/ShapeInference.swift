import Graph
import SketchRuntime

/// The concrete shape of every node of a graph (and of its loop bodies) for given argument shapes, by
/// the ops' run-time shape rule (``Op/resultShape(_:types:)``, the one the backends use). Memory
/// planning needs it; symbolic dims such as T and B get their sizes here.
public struct ConcreteShapes: Sendable {
  /// Per node: the shape, or nil for multi-output nodes (loops, multi-output kernels).
  public var shapes: [[Int]?]
  /// Per loop node: the shapes of its body (for one step), and its number of steps.
  public var bodies: [Int: (shapes: ConcreteShapes, steps: Int)] = [:]

  /// Infers the shapes of `g` for arguments of shapes `arguments` (one per graph input).
  public init(_ g: FunctionGraph, arguments: [[Int]]) throws {
    shapes = [[Int]?](repeating: nil, count: g.nodes.count)
    var tuples: [Int: [[Int]]] = [:]
    for (k, i) in g.inputs.enumerated() { shapes[i] = arguments[k] }
    for (i, n) in g.nodes.enumerated() where shapes[i] == nil {
      switch n.op {
      case .input: throw OptimizerError("argument \(i) has no shape")
      case .tupleElement(let k):
        guard let t = tuples[n.inputs[0]], k < t.count else { throw OptimizerError("node \(i): no output \(k)") }
        shapes[i] = t[k]
      case .fused(let kernel) where kernel.outputs.count > 1:
        let s = try Shapes.broadcast(n.inputs.map { shapes[$0]! }, types: n.inputs.map { g.nodes[$0].type })
        tuples[i] = kernel.outputs.map { _ in s }
      case .scan(let spec):
        let operands = spec.roles(of: n.inputs)
        let nC = spec.carryNames.count
        var count: Int?
        if let s = operands.steps {
          guard case .constant(let t) = g.nodes[s].op else {
            throw OptimizerError("a loop whose step count is computed at run time has no static memory plan")
          }
          count = Int(t.scalarValue)
        }
        let steps = try spec.stepCount(
          steps: count, sequences: operands.sequences.map { shapes[$0]! }, carries: operands.carries.map { shapes[$0]! }
        )
        let slots =
          [[]] + operands.sequences.map { Array(shapes[$0]!.dropFirst()) }
          + (operands.carries + operands.constants).map { shapes[$0]! }
        let body = try ConcreteShapes(spec.bodyGraph, arguments: slots)
        bodies[i] = (body, steps)
        tuples[i] = spec.bodyGraph.outputs.enumerated().map { j, o in
          j < nC ? body.shapes[o]! : [steps] + body.shapes[o]!
        }
      // Every other node by the ops' run-time shape rule.
      case .constant, .shared, .unary, .binary, .select, .cast, .reduce, .argmax, .matmul, .transpose, .reshape,
        .broadcast, .slice, .updateSlice, .concat, .concatPart, .take, .takeGrad, .takeAlong, .takeAlongGrad, .oneHot, .arange, .cumsum, .size, .stopGradient, .clipGradient, .random,
        .foldKey, .fused, .gemm:
        do {
          guard let ins = n.inputs.map({ shapes[$0] }) as? [[Int]] else {
            throw OptimizerError("an operand has no single shape")
          }
          shapes[i] = try n.op.resultShape(ins, types: n.inputs.map { g.nodes[$0].type })
        } catch {
          throw OptimizerError("node \(i) (\(n.op.name), made at \(n.location)): \(error)")
        }
      }
    }
  }

  /// The sizes of the symbolic dims of `g`'s arguments, read from argument shapes.
  public static func bind(_ g: FunctionGraph, dims: [String: Int]) throws -> [[Int]] {
    try g.inputs.map { i in
      try g.nodes[i].type.shape.map { d in
        switch d {
        case .fixed(let n): return n
        case .symbol(let s):
          guard let n = dims[s] else {
            throw OptimizerError(
              "the memory plan needs a size for dim '\(s)' (of argument '\(g.nodes[i].name ?? "?")')")
          }
          return n
        }
      }
    }
  }
}
