import Graph
import Runtime

/// Where every intermediate value of a graph lives: one arena, offsets assigned by liveness
/// (tinygrad's `schedule/memory.py`), for given sizes of the symbolic dims.
///
/// The schedule is the graph's node order. A buffer lives from the step that computes it to the last
/// step that reads it (graph outputs live to the end); reshapes are views of their operand and extend
/// its life. An elementwise kernel (or a gemm adding into C) whose input dies at that step and has the
/// same size writes its output in place of that input. Other buffers take the smallest free block
/// that fits (first fit among equals), or grow the arena. A loop needs, while it runs, a workspace for
/// one step of its body (planned the same way, recursively) plus one copy of its carries.
///
/// Arguments, constants and parameters live outside the arena.
public struct MemoryPlan: Sendable, CustomStringConvertible {
  public struct Buffer: Sendable {
    /// The node whose value this is (a loop's workspace has its loop's node).
    public var node: Int
    public var bytes: Int
    public var offset: Int
    /// Schedule steps: computed at `start`, last read at `end`.
    public var start: Int
    public var end: Int
    /// The node whose buffer this one reuses in place, if any.
    public var inPlaceOf: Int?
    public var isWorkspace: Bool
  }

  /// Offsets and sizes are multiples of this many bytes.
  public static let alignment = 64

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
  /// Outputs written in place of a dying input.
  public var inPlaceCount = 0

  /// Plans `g` for the given sizes of its symbolic dims (`["T": 300, "B": 32, ...]`).
  public init(_ g: FunctionGraph, dims: [String: Int]) throws {
    try self.init(g, arguments: try ConcreteShapes.bind(g, dims: dims))
  }

  /// Plans `g` for arguments of the given shapes.
  public init(_ g: FunctionGraph, arguments: [[Int]]) throws {
    try self.init(g, shapes: try ConcreteShapes(g, arguments: arguments))
  }

  init(_ g: FunctionGraph, shapes: ConcreteShapes) throws {
    let n = g.nodes.count
    func bytes(_ i: Int) -> Int {
      guard let s = shapes.shapes[i] else { return 0 }
      return MemoryPlan.align(s.reduce(1, *) * g.nodes[i].type.dtype.byteSize)
    }
    func external(_ i: Int) -> Bool {
      switch g.nodes[i].op {
      case .input, .constant, .shared: return true
      default: return false
      }
    }
    // Views read their operand's buffer; tuple nodes have none (their elements do).
    var owner = Array(0..<n)
    for (i, node) in g.nodes.enumerated() {
      if case .reshape = node.op { owner[i] = owner[node.inputs[0]] }
    }
    var producer = Array(0..<n)  // the step at which a value is computed
    for (i, node) in g.nodes.enumerated() {
      if case .tupleElement = node.op { producer[i] = node.inputs[0] }
    }
    var end = [Int](repeating: -1, count: n)
    for (i, node) in g.nodes.enumerated() {
      for j in MemoryPlan.dataInputs(node) { end[owner[j]] = Swift.max(end[owner[j]], i) }
      // A multi-output node is read through its elements.
      if case .tupleElement = node.op { end[owner[i]] = Swift.max(end[owner[i]], i) }
    }
    for o in g.outputs { end[owner[o]] = n }
    func hasBuffer(_ i: Int) -> Bool {
      guard owner[i] == i, !external(i), shapes.shapes[i] != nil else { return false }
      return true
    }
    // Buffers by the step that computes them.
    var bySteps: [Int: [Int]] = [:]
    for i in 0..<n where hasBuffer(i) { bySteps[producer[i], default: []].append(i) }

    var free = FreeList()
    var slot: [Int: Int] = [:]  // node → index in buffers
    var live = 0
    for step in 0..<n {
      var dying = MemoryPlan.dataInputs(g.nodes[step]).map { owner[$0] }.filter { hasBuffer($0) && end[$0] == step && slot[$0] != nil }
      dying = Array(Set(dying)).sorted()
      var taken = Set<Int>()
      for i in bySteps[step] ?? [] {
        var b = Buffer(node: i, bytes: bytes(i), offset: 0, start: producer[i], end: Swift.max(end[i], producer[i]),
          inPlaceOf: nil, isWorkspace: false)
        if MemoryPlan.canWriteInPlace(g.nodes[step].op),
          let d = dying.first(where: { !taken.contains($0) && buffers[slot[$0]!].bytes == b.bytes })
        {
          taken.insert(d)
          b.offset = buffers[slot[d]!].offset
          b.inPlaceOf = d
          inPlaceCount += 1
        } else {
          b.offset = free.allocate(b.bytes)
        }
        slot[i] = buffers.count
        buffers.append(b)
        unplannedBytes += b.bytes
        if b.inPlaceOf == nil { live += b.bytes }  // in place: the input's block changes hands
      }
      if case .scan(let spec) = g.nodes[step].op, let (bodyShapes, _) = shapes.bodies[step] {
        let body = try MemoryPlan(spec.bodyGraph, shapes: bodyShapes)
        let carries = spec.carryNames.indices.reduce(0) { s, j in
          s + MemoryPlan.align((bodyShapes.shapes[spec.bodyGraph.outputs[j]] ?? []).reduce(1, *)
            * spec.bodyGraph.nodes[spec.bodyGraph.outputs[j]].type.dtype.byteSize)
        }
        let w = MemoryPlan.align(body.arenaBytes + carries)
        let off = free.allocate(w)
        buffers.append(Buffer(node: step, bytes: w, offset: off, start: step, end: step, inPlaceOf: nil, isWorkspace: true))
        unplannedBytes += body.unplannedBytes + carries
        peakLiveBytes = Swift.max(peakLiveBytes, live + w)
        free.release(off, w)
      }
      peakLiveBytes = Swift.max(peakLiveBytes, live)
      for d in dying where !taken.contains(d) {
        free.release(buffers[slot[d]!].offset, buffers[slot[d]!].bytes)
        live -= buffers[slot[d]!].bytes
      }
      // Values nobody reads die where they are made.
      for i in bySteps[step] ?? [] where end[i] <= step && !taken.contains(i) {
        free.release(buffers[slot[i]!].offset, buffers[slot[i]!].bytes)
        live -= buffers[slot[i]!].bytes
      }
    }
    // The scan above placed buffers first-fit as they appear; placing the largest first (each at
    // the lowest offset free for its whole lifetime) usually packs tighter. Keep the smaller arena.
    let (offsets, size) = MemoryPlan.placeBySize(buffers)
    if size < free.size {
      for k in buffers.indices { buffers[k].offset = offsets[k] }
      arenaBytes = size
    } else {
      arenaBytes = free.size
    }
    storedForGradientBytes = MemoryPlan.storedBytes(g, shapes)
  }

  /// Places buffers given by size and lifetime (schedule steps, inclusive; no two buffers alive at a
  /// common step overlap) with the same "greedy by size" rule: the offsets, multiples of
  /// ``alignment``, and the arena's size. For a backend that decides its own aliasing (the native
  /// emitter reads slices and reshapes in place) and places the remaining buffers by this plan.
  public static func place(_ lifetimes: [(bytes: Int, start: Int, end: Int)]) -> (offsets: [Int], bytes: Int) {
    let bs = lifetimes.enumerated().map { k, l in
      Buffer(node: k, bytes: align(l.bytes), offset: 0, start: l.start, end: l.end, inPlaceOf: nil, isWorkspace: false)
    }
    let (offsets, size) = placeBySize(bs)
    return (offsets, size)
  }

  /// Offsets by "greedy by size": buffers written in place of another form one block with it; blocks
  /// are placed largest first, each at the lowest offset not used by a placed block whose lifetime
  /// overlaps its own. Returns the offsets and the arena size.
  static func placeBySize(_ bs: [Buffer]) -> ([Int], Int) {
    var index: [Int: Int] = [:]
    for (k, b) in bs.enumerated() where !b.isWorkspace { index[b.node] = k }
    var parent = Array(bs.indices)
    func root(_ k: Int) -> Int {
      var k = k
      while parent[k] != k { k = parent[k] }
      return k
    }
    for (k, b) in bs.enumerated() { if let p = b.inPlaceOf, let j = index[p] { parent[k] = root(j) } }
    var blocks: [Int: (bytes: Int, start: Int, end: Int)] = [:]
    for (k, b) in bs.enumerated() {
      let r = root(k)
      let old = blocks[r] ?? (b.bytes, b.start, b.end)
      blocks[r] = (Swift.max(old.bytes, b.bytes), Swift.min(old.start, b.start), Swift.max(old.end, b.end))
    }
    let order = blocks.keys.sorted {
      let (a, b) = (blocks[$0]!, blocks[$1]!)
      return a.bytes != b.bytes ? a.bytes > b.bytes : (a.start != b.start ? a.start < b.start : $0 < $1)
    }
    var placed: [(start: Int, end: Int, offset: Int, bytes: Int)] = []
    var offsetOf: [Int: Int] = [:]
    var size = 0
    for r in order {
      let b = blocks[r]!
      guard b.bytes > 0 else { offsetOf[r] = 0; continue }
      let busy = placed.filter { $0.start <= b.end && b.start <= $0.end }.sorted { $0.offset < $1.offset }
      var off = 0
      for p in busy {
        if off + b.bytes <= p.offset { break }
        off = Swift.max(off, p.offset + p.bytes)
      }
      placed.append((b.start, b.end, off, b.bytes))
      offsetOf[r] = off
      size = Swift.max(size, off + b.bytes)
    }
    return (bs.indices.map { offsetOf[root($0)]! }, size)
  }

  /// The inputs whose values a node reads; the others (reshape and broadcast references, the
  /// operand of `size`, the shape operand of `takeGrad`) only give sizes, known before the run.
  static func dataInputs(_ n: FunctionGraph.Node) -> [Int] {
    switch n.op {
    case .reshape, .broadcast: return [n.inputs[0]]
    case .random(.uniform), .random(.normal): return [n.inputs[0]]
    case .size: return []
    case .takeGrad: return Array(n.inputs.dropFirst())
    case .input, .constant, .shared, .unary, .binary, .select, .cast, .reduce, .argmax, .matmul, .transpose,
      .slice, .updateSlice, .concat, .concatPart, .take, .stopGradient, .random(.bernoulli),
      .random(.categorical), .foldKey, .scan, .tupleElement, .fused, .gemm:
      return n.inputs
    }
  }

  /// Kernels and gemm (which adds into C) may write over an operand that dies with them.
  static func canWriteInPlace(_ op: Op) -> Bool {
    switch op {
    case .fused, .unary, .binary, .select, .cast: return true
    case .gemm(let g): return g.beta != 0
    case .input, .constant, .shared, .reduce, .argmax, .matmul, .transpose, .reshape, .broadcast, .slice,
      .updateSlice, .concat, .concatPart, .take, .takeGrad, .size, .stopGradient, .random, .foldKey, .scan,
      .tupleElement:
      return false
    }
  }

  /// Bytes of per-step outputs of one loop that another loop reads as a sequence.
  static func storedBytes(_ g: FunctionGraph, _ shapes: ConcreteShapes) -> Int {
    var total = 0
    var counted = Set<Int>()
    for (i, node) in g.nodes.enumerated() {
      guard case .scan(let spec) = node.op else { continue }
      for s in spec.roles(of: node.inputs).sequences where !counted.contains(s) {
        guard case .tupleElement = g.nodes[s].op, case .scan = g.nodes[g.nodes[s].inputs[0]].op, g.nodes[s].inputs[0] != i,
          let sh = shapes.shapes[s]
        else { continue }
        counted.insert(s)
        total += sh.reduce(1, *) * g.nodes[s].type.dtype.byteSize
      }
    }
    return total
  }

  static func align(_ b: Int) -> Int { (b + alignment - 1) / alignment * alignment }

  /// The `count` largest buffers, one line each: size, lifetime (schedule steps), the node.
  public func largest(_ count: Int, in g: FunctionGraph) -> String {
    buffers.sorted { $0.bytes > $1.bytes }.prefix(count).map { b in
      let n = g.nodes[b.node]
      let what = b.isWorkspace ? "workspace of loop [id \(FunctionGraph.label(b.node))]"
        : "\(n.op.name.prefix(40)) [id \(FunctionGraph.label(b.node))] \(n.type)\(n.name.map { " '\($0)'" } ?? "")"
      return "  \(MemoryPlan.megabytes(b.bytes)) steps \(b.start)...\(b.end): \(what)"
    }.joined(separator: "\n")
  }

  static func megabytes(_ b: Int) -> String {
    b >= 1 << 20 ? String(format: "%.2f MiB", Double(b) / 1048576) : "\(b) B"
  }

  public var description: String {
    func mb(_ b: Int) -> String { b >= 1 << 20 ? String(format: "%.2f MiB", Double(b) / 1048576) : "\(b) B" }
    return """
      memory plan: arena \(mb(arenaBytes)) (\(buffers.count) buffers, \(inPlaceCount) in place); \
      without reuse \(mb(unplannedBytes)); peak live \(mb(peakLiveBytes)); \
      stored for the gradient \(mb(storedForGradientBytes))
      """
  }
}

/// Free blocks of the arena, by offset; allocation takes the smallest block that fits.
struct FreeList {
  var blocks: [(offset: Int, size: Int)] = []
  var size = 0

  mutating func allocate(_ bytes: Int) -> Int {
    guard bytes > 0 else { return 0 }
    if let k = blocks.indices.filter({ blocks[$0].size >= bytes }).min(by: { blocks[$0].size < blocks[$1].size }) {
      let off = blocks[k].offset
      if blocks[k].size == bytes { blocks.remove(at: k) } else { blocks[k] = (off + bytes, blocks[k].size - bytes) }
      return off
    }
    // Grow the arena, starting inside a free block at its end if there is one.
    if let last = blocks.last, last.offset + last.size == size {
      blocks.removeLast()
      size = last.offset + bytes
      return last.offset
    }
    let off = size
    size += bytes
    return off
  }

  mutating func release(_ offset: Int, _ bytes: Int) {
    guard bytes > 0 else { return }
    blocks.append((offset, bytes))
    blocks.sort { $0.offset < $1.offset }
    // Merge neighbours.
    var merged: [(offset: Int, size: Int)] = []
    for b in blocks {
      if let l = merged.last, l.offset + l.size == b.offset {
        merged[merged.count - 1].size += b.size
      } else {
        merged.append(b)
      }
    }
    blocks = merged
  }
}
