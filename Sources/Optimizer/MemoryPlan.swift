import Graph
import SketchRuntime

/// Where every intermediate value of a graph lives: one arena, offsets assigned by liveness
/// (tinygrad's `schedule/memory.py`), for given sizes of the symbolic dims. This is the plan the
/// native backend runs with: it takes the lifetimes from ``lifetimes(_:_:)`` and places each call's
/// sizes with ``place(_:)``.
///
/// The schedule is the graph's node order. A buffer lives from the step that computes it to the last
/// step that reads its data (graph outputs live to the end). Values that share another's buffer
/// (``Aliasing``: reshapes, slices read in place, loop results written into a concatenation) have no
/// buffer of their own and extend its life. Buffers are placed largest first, each at the lowest
/// offset free for its whole lifetime ("greedy by size").
///
/// Arguments, constants and parameters live outside the arena, and so do the loop bodies' values
/// (one step's worth per body, reused across steps: ``loopBytes``).
public struct MemoryPlan: Sendable, CustomStringConvertible {
  /// One value's buffer in the arena: its node, size, offset and lifetime.
  public struct Buffer: Sendable {
    /// The node whose value this is.
    public var node: Int
    /// Its size in bytes, a multiple of ``MemoryPlan/alignment`` (at least one such block).
    public var bytes: Int
    /// Where it starts in the arena, in bytes (a multiple of ``MemoryPlan/alignment``).
    public var offset: Int
    /// Schedule steps: computed at `start`, last read at `end`.
    public var start: Int
    /// The schedule step that last reads it (the node count, one past the last step, for a graph output).
    public var end: Int
  }

  /// Offsets and sizes are multiples of this many bytes.
  public static let alignment = 64

  /// The arena's buffers, one per value that owns its storage, in schedule order.
  public var buffers: [Buffer] = []
  /// The arena's size with buffers sharing memory where their lifetimes do not overlap.
  public var arenaBytes = 0
  /// The sum of all buffer sizes: the arena without any reuse.
  public var unplannedBytes = 0
  /// The most bytes live at once in this schedule: no plan of these buffers can be smaller.
  public var peakLiveBytes = 0
  /// The per-step values forward loops keep for gradient loops (what backpropagation through time
  /// must store, whatever the plan).
  public var storedForGradientBytes = 0
  /// The loop bodies' own buffers (one step of each body, nested loops included), outside the arena.
  public var loopBytes = 0
  /// Values that share another's buffer (no storage of their own).
  public var aliasCount = 0

  /// Plans `g` for the given sizes of its symbolic dims (`["T": 300, "B": 32, ...]`).
  public init(_ g: FunctionGraph, dims: [String: Int]) throws {
    try self.init(g, arguments: try ConcreteShapes.bind(g, dims: dims))
  }

  /// Plans `g` for arguments of the given shapes.
  public init(_ g: FunctionGraph, arguments: [[Int]]) throws {
    try self.init(g, shapes: try ConcreteShapes(g, arguments: arguments))
  }

  init(_ g: FunctionGraph, shapes: ConcreteShapes) throws {
    let aliasing = Aliasing(g)
    let lifetimes = MemoryPlan.lifetimes(g, aliasing)
    aliasCount = g.nodes.indices.filter { aliasing.isAlias($0) }.count
    let bytes = lifetimes.map { l in
      MemoryPlan.bufferBytes((shapes.shapes[l.node] ?? []).reduce(1, *), g.nodes[l.node].type.dtype)
    }
    let (offsets, size) = MemoryPlan.place(zip(lifetimes, bytes).map { l, b in (b, l.start, l.end) })
    buffers = lifetimes.indices.map { k in
      Buffer(
        node: lifetimes[k].node, bytes: bytes[k], offset: offsets[k], start: lifetimes[k].start, end: lifetimes[k].end)
    }
    arenaBytes = size
    unplannedBytes = bytes.reduce(0, +)
    for step in g.nodes.indices {
      let live = buffers.reduce(0) { $0 + ($1.start <= step && step <= $1.end ? $1.bytes : 0) }
      peakLiveBytes = Swift.max(peakLiveBytes, live)
    }
    for (i, node) in g.nodes.enumerated() {
      guard case .scan(let spec) = node.op, let (bodyShapes, _) = shapes.bodies[i] else { continue }
      let body = try MemoryPlan(spec.bodyGraph, shapes: bodyShapes)
      loopBytes += body.unplannedBytes + body.loopBytes
    }
    storedForGradientBytes = MemoryPlan.storedBytes(g, shapes)
  }

  /// The buffers of `g`'s intermediates and their lifetimes in schedule steps, by `aliasing`: every
  /// node that is not a leaf, has one value (not a loop or a multi-output kernel, whose elements have
  /// the buffers) and owns its buffer. It lives from the step that computes it (a multi-output node's
  /// for its elements, the first part's for a concatenation filled by its parts) to the last step that
  /// reads its data or the data of a value in it; graph outputs to the end.
  public static func lifetimes(_ g: FunctionGraph, _ aliasing: Aliasing) -> [(node: Int, start: Int, end: Int)] {
    let n = g.nodes.count
    let owner = aliasing.owner
    var start = Array(0..<n)
    for (i, node) in g.nodes.enumerated() {
      if case .tupleElement = node.op { start[i] = node.inputs[0] }
    }
    for (p, c) in aliasing.concatParts { start[c.concat] = Swift.min(start[c.concat], start[p]) }
    var end = Array(repeating: -1, count: n)
    for (i, node) in g.nodes.enumerated() {
      for j in dataInputs(node) { end[owner[j]] = Swift.max(end[owner[j]], i) }
    }
    for o in g.outputs { end[owner[o]] = n }
    return g.nodes.indices.compactMap { i in
      let op = g.nodes[i].op
      guard owner[i] == i, !op.isLeaf, !isMultiOutput(op) else { return nil }
      return (i, start[i], Swift.max(end[i], start[i]))
    }
  }

  /// Loops and multi-output kernels: their values are their `tupleElement` nodes'.
  static func isMultiOutput(_ op: Op) -> Bool {
    if case .scan = op { return true }
    if case .fused(let k) = op { return k.outputs.count > 1 }
    return false
  }

  /// Places buffers given by size and lifetime (schedule steps, inclusive; no two buffers alive at a
  /// common step overlap) by "greedy by size": the offsets, multiples of ``alignment``, and the
  /// arena's size. The native backend calls it when a call's sizes differ from the last call's.
  public static func place(_ lifetimes: [(bytes: Int, start: Int, end: Int)]) -> (offsets: [Int], bytes: Int) {
    placeBySize(
      lifetimes.enumerated().map { k, l in
        Buffer(node: k, bytes: align(l.bytes), offset: 0, start: l.start, end: l.end)
      })
  }

  /// Offsets by "greedy by size": buffers are placed largest first, each at the lowest offset not
  /// used by a placed buffer whose lifetime overlaps its own. Returns the offsets and the arena size.
  static func placeBySize(_ bs: [Buffer]) -> ([Int], Int) {
    let order = bs.indices.sorted {
      let (a, b) = (bs[$0], bs[$1])
      return a.bytes != b.bytes ? a.bytes > b.bytes : (a.start != b.start ? a.start < b.start : $0 < $1)
    }
    var placed: [(start: Int, end: Int, offset: Int, bytes: Int)] = []
    var offsets = Array(repeating: 0, count: bs.count)
    var size = 0
    for k in order {
      let b = bs[k]
      guard b.bytes > 0 else { continue }
      let busy = placed.filter { $0.start <= b.end && b.start <= $0.end }.sorted { $0.offset < $1.offset }
      var off = 0
      for p in busy {
        if off + b.bytes <= p.offset { break }
        off = Swift.max(off, p.offset + p.bytes)
      }
      placed.append((b.start, b.end, off, b.bytes))
      offsets[k] = off
      size = Swift.max(size, off + b.bytes)
    }
    return (offsets, size)
  }

  /// The inputs whose values a node reads; the others (reshape and broadcast references, the
  /// operand of `size`, the shape operand of `takeGrad`) only give sizes, known before the run.
  public static func dataInputs(_ n: FunctionGraph.Node) -> [Int] {
    switch n.op {
    case .reshape, .broadcast: return [n.inputs[0]]
    case .random(.uniform), .random(.normal): return [n.inputs[0]]
    case .size: return []
    case .takeGrad, .takeAlongGrad: return Array(n.inputs.dropFirst())
    case .arange: return []
    case .input, .constant, .shared, .unary, .binary, .select, .cast, .reduce, .argmax, .matmul, .transpose,
      .slice, .updateSlice, .concat, .concatPart, .take, .takeAlong, .oneHot, .cumsum, .stopGradient, .clipGradient, .random(.bernoulli),
      .random(.categorical), .foldKey, .scan, .tupleElement, .fused, .gemm:
      return n.inputs
    }
  }

  /// Bytes of per-step outputs of one loop that another loop reads as a sequence.
  static func storedBytes(_ g: FunctionGraph, _ shapes: ConcreteShapes) -> Int {
    var total = 0
    var counted = Set<Int>()
    for (i, node) in g.nodes.enumerated() {
      guard case .scan(let spec) = node.op else { continue }
      for s in spec.roles(of: node.inputs).sequences where !counted.contains(s) {
        guard case .tupleElement = g.nodes[s].op, case .scan = g.nodes[g.nodes[s].inputs[0]].op,
          g.nodes[s].inputs[0] != i,
          let sh = shapes.shapes[s]
        else { continue }
        counted.insert(s)
        total += sh.reduce(1, *) * g.nodes[s].type.dtype.byteSize
      }
    }
    return total
  }

  static func align(_ b: Int) -> Int { (b + alignment - 1) / alignment * alignment }

  /// The bytes a buffer of `count` elements of `dtype` takes in the arena (at least one aligned block).
  public static func bufferBytes(_ count: Int, _ dtype: DType) -> Int { align(Swift.max(count * dtype.byteSize, 8)) }

  /// The `count` largest buffers, one line each: size, lifetime (schedule steps), the node.
  public func largest(_ count: Int, in g: FunctionGraph) -> String {
    buffers.sorted { $0.bytes > $1.bytes }.prefix(count).map { b in
      let n = g.nodes[b.node]
      let what =
        "\(n.op.name.prefix(40)) [id \(FunctionGraph.label(b.node))] \(n.type)\(n.name.map { " '\($0)'" } ?? "")"
      return "  \(MemoryPlan.megabytes(b.bytes)) steps \(b.start)...\(b.end): \(what)"
    }.joined(separator: "\n")
  }

  static func megabytes(_ b: Int) -> String {
    b >= 1 << 20 ? String(format: "%.2f MiB", Double(b) / 1_048_576) : "\(b) B"
  }

  /// One line: the arena's size, buffers and aliases, and the bytes without reuse, at peak, of the loop
  /// bodies and stored for the gradient.
  public var description: String {
    func mb(_ b: Int) -> String { b >= 1 << 20 ? String(format: "%.2f MiB", Double(b) / 1_048_576) : "\(b) B" }
    return """
      memory plan: arena \(mb(arenaBytes)) (\(buffers.count) buffers, \(aliasCount) values in another's); \
      without reuse \(mb(unplannedBytes)); peak live \(mb(peakLiveBytes)) (the lower bound); \
      loop bodies \(mb(loopBytes)); stored for the gradient \(mb(storedForGradientBytes))
      """
  }
}
