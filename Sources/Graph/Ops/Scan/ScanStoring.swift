/// What the gradient of a scan stores under ``ScanPolicy/store``: the fewest bytes per step from which
/// the backward step gets every forward value it reads.
///
/// The choice is a minimum cut of the forward step (the min-cut rematerialization of PyTorch's
/// AOTAutograd partitioner, on one loop step): every step-dependent value is an edge of its size in
/// bytes; a value that cannot be recomputed (a product, a loop's output, a gather, a random
/// draw, a slot) is joined to the source, the values the backward step reads to the sink, and each
/// cheap value to its operands. A cut is a set of values whose storage lets the backward step
/// recompute the rest; the smallest one is stored. Among cuts of the same size the one nearest the
/// backward step is taken (the least recomputation).
///
/// - Parameters:
///   - needed: the forward values the backward step reads (what ``ScanPolicy/storeAll`` stores).
///   - isFree: values the backward step has without storing (constants, the index, values that do
///     not depend on the step).
///   - isSlot: the carry and sequence slots (stored or read, never recomputed).
/// - Returns: the values to keep, in no particular order (slots among them).
func fewestStoredBytes(
  needed: [Var], isFree: (ObjectIdentifier) -> Bool, isSlot: (ObjectIdentifier) -> Bool
) -> [Var] {
  // The cone of the needed values down to what cannot be recomputed.
  var nodes: [Var] = []
  var index: [ObjectIdentifier: Int] = [:]
  var recomputable: [Bool] = []
  var stack = needed
  while let v = stack.popLast() {
    let id = ObjectIdentifier(v)
    guard index[id] == nil, !isFree(id) else { continue }
    index[id] = nodes.count
    nodes.append(v)
    let cheap = !isSlot(id) && isCheapToRecompute(v.op)
    recomputable.append(cheap)
    if cheap { stack.append(contentsOf: v.inputs) }
  }
  // Vertices: the source, the sink, then each value's entry (2k+2) and exit (2k+3).
  var flow = FlowNetwork(vertices: 2 * nodes.count + 2)
  let (source, sink) = (0, 1)
  for (k, v) in nodes.enumerated() {
    let (entry, exit) = (2 * k + 2, 2 * k + 3)
    flow.add(entry, exit, storedSize(v.type))
    if recomputable[k] {
      for u in v.inputs { if let j = index[ObjectIdentifier(u)] { flow.add(2 * j + 3, entry, FlowNetwork.unbounded) } }
    } else {
      flow.add(source, entry, FlowNetwork.unbounded)
    }
  }
  for v in needed { if let k = index[ObjectIdentifier(v)] { flow.add(2 * k + 3, sink, FlowNetwork.unbounded) } }
  flow.maximize(from: source, to: sink)
  // The cut nearest the sink: edges into the vertices that still reach the sink.
  let reachesSink = flow.reaching(sink)
  return nodes.indices.filter { k in !reachesSink[2 * k + 2] && reachesSink[2 * k + 3] }.map { nodes[$0] }
}

/// Ops the backward step may compute again from stored operands: elementwise, shape and reduction
/// ops (cheap next to the loop's products). Products, loops, gathers and random draws are stored.
func isCheapToRecompute(_ op: Op) -> Bool {
  switch op {
  case .unary, .binary, .select, .cast, .reduce, .transpose, .reshape, .broadcast, .slice, .concat, .stopGradient,
    .clipGradient:
    return true
  case .input, .constant, .shared, .argmax, .matmul, .updateSlice, .concatPart, .take, .takeGrad, .takeAlong,
    .takeAlongGrad, .oneHot, .arange, .cumsum, .size, .random, .foldKey, .scan, .tupleElement, .fused, .gemm:
    return false
  }
}

/// The bytes of one step's value, counting each symbolic dimension (the batch) as 1024, so that
/// values of the step compare by the sizes they will have.
func storedSize(_ t: TensorType) -> Int {
  t.shape.reduce(t.dtype.byteSize) { $0 * ($1.fixedValue ?? 1024) }
}

/// A flow network with integer capacities, and Edmonds-Karp's maximum flow (breadth-first augmenting
/// paths): the forward step has at most a few hundred values.
struct FlowNetwork {
  static let unbounded = Int.max / 4
  private var head: [Int]
  private var to: [Int] = []
  private var capacity: [Int] = []
  private var next: [Int] = []

  init(vertices: Int) { head = Array(repeating: -1, count: vertices) }

  /// An edge `a → b` of capacity `c` (and its residual `b → a`).
  mutating func add(_ a: Int, _ b: Int, _ c: Int) {
    for (x, y, z) in [(a, b, c), (b, a, 0)] {
      to.append(y)
      capacity.append(z)
      next.append(head[x])
      head[x] = to.count - 1
    }
  }

  /// Pushes the most flow from `s` to `t` (the residual capacities are left in the network).
  mutating func maximize(from s: Int, to t: Int) {
    while true {
      var through = Array(repeating: -1, count: head.count)  // the edge each vertex was reached by
      var queue = [s]
      var seen = Array(repeating: false, count: head.count)
      seen[s] = true
      var i = 0
      while i < queue.count, !seen[t] {
        let x = queue[i]
        i += 1
        var e = head[x]
        while e >= 0 {
          if capacity[e] > 0, !seen[to[e]] {
            seen[to[e]] = true
            through[to[e]] = e
            queue.append(to[e])
          }
          e = next[e]
        }
      }
      guard seen[t] else { return }
      var push = Int.max
      var v = t
      while v != s {
        push = Swift.min(push, capacity[through[v]])
        v = to[through[v] ^ 1]
      }
      v = t
      while v != s {
        capacity[through[v]] -= push
        capacity[through[v] ^ 1] += push
        v = to[through[v] ^ 1]
      }
    }
  }

  /// The vertices from which `t` is reachable along edges with residual capacity.
  func reaching(_ t: Int) -> [Bool] {
    var reach = Array(repeating: false, count: head.count)
    reach[t] = true
    var queue = [t]
    var i = 0
    while i < queue.count {
      let x = queue[i]
      i += 1
      // The edges into x are the partners of x's own edges: y → x has residual capacity[e ^ 1].
      var e = head[x]
      while e >= 0 {
        if capacity[e ^ 1] > 0, !reach[to[e]] {
          reach[to[e]] = true
          queue.append(to[e])
        }
        e = next[e]
      }
    }
    return reach
  }
}
