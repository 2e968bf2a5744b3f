import Graph
import Optimizer
import SketchRuntime

/// The outer graph's intermediate buffers in one arena, planned by the optimizer's ``MemoryPlan``
/// (the same lifetimes and placement `Function.memoryPlan` and `dump-graph` report) over the graph's
/// ``Aliasing``, which the emitter reads and writes in place by. Arguments, constants and shared
/// variables have buffers of their own; scan bodies keep theirs (one step's values, reused across
/// steps and calls). Sizes depend on the call, so offsets are placed again when they change.
struct NativeArena {
  /// The planned buffers (outer-graph buffer ids) and their lifetimes in schedule steps.
  let lifetimes: [(id: Int, start: Int, end: Int)]

  init(layout: NativeLayout) {
    // Graph 0's node i is buffer i.
    lifetimes = MemoryPlan.lifetimes(layout.graphs[0], layout.aliasing[0]).map { ($0.node, $0.start, $0.end) }
  }

  /// Offsets (aligned) of the planned buffers for these sizes in bytes, and the arena's size.
  func place(_ bytes: [Int]) -> (offsets: [Int], bytes: Int) {
    MemoryPlan.place(zip(lifetimes, bytes).map { l, b in (b, l.start, l.end) })
  }
}
