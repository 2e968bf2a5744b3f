import Graph
import Optimizer
import SketchRuntime

extension Function {
  /// The memory plan of the optimized graph for the given sizes of its symbolic dims
  /// (`["T1": 301, "T": 300, "B": 32]`): the plan the native backend places its arena by (the
  /// interpreter allocates as it goes).
  public func memoryPlan(dims: [String: Int]) throws -> MemoryPlan {
    try MemoryPlan(optimizedGraph, dims: dims)
  }

  /// The memory plan of the optimized graph for arguments of these shapes.
  public func memoryPlan(arguments: [Tensor]) throws -> MemoryPlan {
    try MemoryPlan(optimizedGraph, arguments: arguments.map(\.shape))
  }

  /// The size of the native program's arena in its last call (nil before a native call): equal to
  /// ``memoryPlan(arguments:)``'s `arenaBytes` for that call's arguments.
  public var nativeArenaBytes: Int? { native.loaded?.arenaBytes }

  /// Structure counts of the optimized graph (loops, products per step, kernels).
  public var summary: GraphSummary { GraphSummary(optimizedGraph) }

  /// The optimized graph as a pytensor-style tree.
  public var optimizedDescription: String { optimizedGraph.debugDescription() }
}
