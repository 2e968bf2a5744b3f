import Graph
import Optimizer
import Runtime

extension Function {
  /// The memory plan of the optimized graph for the given sizes of its symbolic dims
  /// (`["T1": 301, "T": 300, "B": 32]`). The interpreter does not use it; the native backend will.
  public func memoryPlan(dims: [String: Int]) throws -> MemoryPlan {
    try MemoryPlan(optimizedGraph, dims: dims)
  }

  /// The memory plan of the optimized graph for arguments of these shapes.
  public func memoryPlan(arguments: [Tensor]) throws -> MemoryPlan {
    try MemoryPlan(optimizedGraph, arguments: arguments.map(\.shape))
  }

  /// Structure counts of the optimized graph (loops, products per step, kernels).
  public var summary: GraphSummary { GraphSummary(optimizedGraph) }

  /// The optimized graph as a pytensor-style tree.
  public var optimizedDescription: String { optimizedGraph.debugDescription() }
}
