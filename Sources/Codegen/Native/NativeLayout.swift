import Graph
import Optimizer
import SketchRuntime

/// Why a graph cannot run natively (the caller falls back to the interpreter, or fails under
/// `SKETCH_BACKEND=native`).
public struct NativeUnsupported: Error, CustomStringConvertible, Sendable {
  /// What in the graph the native backend cannot run: an input without a shape, a step count computed in
  /// the graph, a loop whose body does not match its operands.
  public var message: String
  /// `the native backend cannot run this graph: MESSAGE`.
  public var description: String { "the native backend cannot run this graph: \(message)" }
}

/// The numbering of a compiled function's buffers: every node of the outer graph and of every
/// scan body gets a buffer id; each buffer's dims (and some ops' extra integers) live in one int64
/// parameter array `P`, so the generated C is generic in the sizes and is compiled once per graph.
struct NativeLayout {
  /// Graph 0 is the function's graph; the others are scan bodies, each listed once.
  var graphs: [FunctionGraph] = []
  var specs: [ScanSpec?] = []
  var bodyOf: [ObjectIdentifier: Int] = [:]
  /// The buffer id of node 0 of each graph.
  var base: [Int] = []
  var rank: [Int] = []
  var dtype: [DType] = []
  /// The static type of each buffer (which inputs may broadcast is known statically).
  var types: [TensorType] = []
  /// Offset in P of each buffer's dims.
  var dimOffset: [Int] = []
  /// Offset in P of each buffer's extra integers (slice starts, concat offsets), or -1.
  var auxOffset: [Int] = []
  var paramCount = 0
  /// Each graph's aliasing (``Aliasing``): what the emitter reads and writes in place, and what the
  /// memory plan places.
  var aliasing: [Aliasing] = []

  init(_ graph: FunctionGraph) throws {
    add(graph, spec: nil)
    var g = 0
    while g < graphs.count {
      for node in graphs[g].nodes {
        if case .scan(let spec) = node.op, bodyOf[ObjectIdentifier(spec)] == nil {
          bodyOf[ObjectIdentifier(spec)] = graphs.count
          add(spec.bodyGraph, spec: spec)
        }
      }
      g += 1
    }
  }

  private mutating func add(_ g: FunctionGraph, spec: ScanSpec?) {
    base.append(rank.count)
    graphs.append(g)
    specs.append(spec)
    aliasing.append(Aliasing(g))
    for node in g.nodes {
      rank.append(node.type.rank)
      dtype.append(node.type.dtype)
      types.append(node.type)
      dimOffset.append(paramCount)
      paramCount += node.type.rank
      // Run-time parameters beside the sizes (ShapePlan fills them): slice starts, a part's offset.
      let aux: Int
      switch node.op {
      case .slice, .updateSlice: aux = g.nodes[node.inputs[0]].type.rank
      case .concatPart: aux = 1
      case .input, .constant, .shared, .unary, .binary, .select, .cast, .reduce, .argmax, .matmul, .transpose,
        .reshape, .broadcast, .concat, .take, .takeGrad, .takeAlong, .takeAlongGrad, .oneHot, .arange, .cumsum, .size, .stopGradient, .clipGradient, .random, .foldKey, .scan,
        .tupleElement, .fused, .gemm:
        aux = 0
      }
      auxOffset.append(aux > 0 ? paramCount : -1)
      paramCount += aux
    }
  }

  func id(_ graph: Int, _ node: Int) -> Int { base[graph] + node }
  var bufferCount: Int { rank.count }
}
