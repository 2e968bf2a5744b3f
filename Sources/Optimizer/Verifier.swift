import Graph
import SketchRuntime

/// Checks that a graph is well formed: topological order, arguments are placeholders, every node's
/// type is what its op infers from its inputs (same dtype and rank, compatible dims), loop bodies
/// match their loop's signature. Passes are checked with it in tests (`OptimizerOptions.verify`).
public enum Verifier {
  /// Throws an ``OptimizerError`` when `g` or a loop body in it is not well formed, naming `pass`, the
  /// loop body (`path`, a prefix for the message) and the node, argument or output at fault.
  public static func check(_ g: FunctionGraph, after pass: String = "", path: String = "") throws {
    func fail(_ i: Int, _ m: String) -> OptimizerError {
      OptimizerError("after \(pass): \(path)node \(i) (\(g.nodes[i].op.name)): \(m)")
    }
    for i in g.inputs {
      guard case .input = g.nodes[i].op else {
        throw OptimizerError("after \(pass): \(path)argument \(i) is not a placeholder")
      }
    }
    for o in g.outputs where o < 0 || o >= g.nodes.count {
      throw OptimizerError("after \(pass): \(path)output \(o) is out of range")
    }
    for (i, n) in g.nodes.enumerated() {
      for j in n.inputs where j < 0 || j >= i { throw fail(i, "reads node \(j), which is not earlier") }
      switch n.op {
      case .input:
        guard g.inputs.contains(i) else { throw fail(i, "a placeholder that is not an argument") }
      case .constant, .shared:
        break
      case .tupleElement(let k):
        let src = g.nodes[n.inputs[0]]
        if case .scan(let spec) = src.op {
          guard k < spec.outputTypes.count, sameKind(spec.outputTypes[k], n.type) else {
            throw fail(i, "output \(k) of a loop with outputs \(spec.outputTypes)")
          }
        } else if case .fused(let kernel) = src.op {
          guard k < kernel.outputs.count, kernel.outputDTypes[k] == n.type.dtype else {
            throw fail(i, "output \(k) of a kernel with \(kernel.outputs.count) outputs")
          }
        } else {
          throw fail(i, "reads an element of a single-output node")
        }
      case .scan(let spec):
        let body = spec.bodyGraph
        let nS = spec.sequenceNames.count
        let nC = spec.carryNames.count
        let nK = spec.constantNames.count
        guard n.inputs.count == spec.operandCount else { throw fail(i, "wrong number of inputs") }
        guard body.inputs.count == 1 + nS + nC + nK, body.outputs.count == spec.outputTypes.count else {
          throw fail(i, "the body does not match the loop's signature")
        }
        let initials = spec.roles(of: n.inputs).carries
        for j in 0..<nC {
          let initial = g.nodes[initials[j]].type
          guard sameKind(initial, body.nodes[body.inputs[1 + nS + j]].type),
            sameKind(initial, body.nodes[body.outputs[j]].type)
          else { throw fail(i, "carry '\(spec.carryNames[j])' changes type") }
        }
        try check(body, after: pass, path: path + "loop \(i) body: ")
      case .unary, .binary, .select, .cast, .reduce, .argmax, .matmul, .transpose, .reshape, .broadcast, .slice,
        .updateSlice, .concat, .concatPart, .take, .takeGrad, .takeAlong, .takeAlongGrad, .oneHot, .arange, .cumsum, .size, .stopGradient, .clipGradient, .random, .foldKey, .fused, .gemm:
        let t: TensorType
        do { t = try n.op.inferType(n.inputs.map { g.nodes[$0].type }) } catch { throw fail(i, "\(error)") }
        guard sameKind(t, n.type) else { throw fail(i, "type \(n.type), but its inputs give \(t)") }
      }
    }
  }

  /// Same dtype and rank, and dims that can be equal.
  static func sameKind(_ a: TensorType, _ b: TensorType) -> Bool {
    guard a.dtype == b.dtype, a.rank == b.rank else { return false }
    return zip(a.shape, b.shape).allSatisfy { x, y in
      if let p = x.fixedValue, let q = y.fixedValue { return p == q }
      return true
    }
  }
}
