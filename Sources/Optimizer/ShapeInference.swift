import Graph
import Runtime

/// The concrete shape of every node of a graph (and of its loop bodies) for given argument shapes:
/// the static type rules run again on fixed dims. Memory planning needs it; symbolic dims such as T
/// and B get their sizes here.
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
    func fixed(_ i: Int) throws -> TensorType {
      guard let s = shapes[i] else { throw OptimizerError("node \(i) has no single shape") }
      return TensorType(g.nodes[i].type.dtype, s.map { .fixed($0) })
    }
    for (i, n) in g.nodes.enumerated() where shapes[i] == nil {
      switch n.op {
      case .input: throw OptimizerError("argument \(i) has no shape")
      case .constant(let t): shapes[i] = t.shape
      case .shared(let s): shapes[i] = s.value.shape
      case .tupleElement(let k):
        guard let t = tuples[n.inputs[0]], k < t.count else { throw OptimizerError("node \(i): no output \(k)") }
        shapes[i] = t[k]
      case .fused(let kernel) where kernel.outputs.count > 1:
        let s = try ConcreteShapes.broadcast(n.inputs.map { shapes[$0]! })
        tuples[i] = kernel.outputs.map { _ in s }
      case .scan(let spec):
        let ins = n.inputs
        let off = spec.hasSteps ? 1 : 0
        let nS = spec.sequenceNames.count
        let nC = spec.carryNames.count
        var steps: Int
        if spec.hasSteps {
          guard case .constant(let t) = g.nodes[ins[0]].op else {
            throw OptimizerError("a loop whose step count is computed at run time has no static memory plan")
          }
          steps = Int(t.scalarValue)
        } else {
          steps = shapes[ins[0]]![0]
        }
        if !spec.hasSteps, nS > 0 { steps = shapes[ins[off]]![0] }
        var slots: [[Int]] = [[]]
        for k in 0..<nS { slots.append(Array(shapes[ins[off + k]]!.dropFirst())) }
        for k in (off + nS)..<ins.count { slots.append(shapes[ins[k]]!) }
        let body = try ConcreteShapes(spec.bodyGraph, arguments: slots)
        bodies[i] = (body, steps)
        tuples[i] = spec.bodyGraph.outputs.enumerated().map { j, o in
          j < nC ? body.shapes[o]! : [steps] + body.shapes[o]!
        }
      default:
        do {
          let t = try n.op.inferType(try n.inputs.map(fixed))
          guard let s = t.shape.map(\.fixedValue) as? [Int] else { throw OptimizerError("unresolved dims in \(t)") }
          shapes[i] = s
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
            throw OptimizerError("the memory plan needs a size for dim '\(s)' (of argument '\(g.nodes[i].name ?? "?")')")
          }
          return n
        }
      }
    }
  }

  static func broadcast(_ shapes: [[Int]]) throws -> [Int] {
    let r = shapes.map(\.count).max() ?? 0
    var out = [Int](repeating: 1, count: r)
    for s in shapes {
      for (k, d) in s.enumerated() {
        let j = r - s.count + k
        if d == out[j] || d == 1 { continue }
        guard out[j] == 1 else { throw OptimizerError("shapes \(shapes) do not broadcast") }
        out[j] = d
      }
    }
    return out
  }
}
