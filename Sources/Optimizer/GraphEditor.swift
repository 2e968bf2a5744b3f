import Graph
import SketchRuntime

/// A mutable, hash-consed copy of a ``FunctionGraph`` that passes edit in place.
///
/// Adding a node that already exists (same op, same inputs) returns the existing one, so merging of
/// identical subgraphs is never a separate step. `replace(_:with:)` points every user of a node at its
/// replacement; users that become identical to another node merge with it, and nodes nobody reads any
/// more are dropped at once, so use counts stay exact while rules run. `finish()` renumbers the live
/// nodes in topological order (arguments first) and returns a plain ``FunctionGraph``.
public final class GraphEditor {
  struct Key: Hashable {
    var op: Op
    var inputs: [Int]
  }

  /// Every node made so far, indexed by id; replaced and dropped ones stay (see ``isAlive(_:)``).
  public private(set) var nodes: [FunctionGraph.Node]
  private var alive: [Bool]
  private var users: [[Int]]
  private var table: [Key: Int] = [:]
  /// The argument placeholders, in argument order (passes on loop bodies rewrite this list).
  public var inputs: [Int]
  /// The graph outputs as node ids, in order (``setOutputs(_:)`` changes them, `replace` follows them).
  public private(set) var outputs: [Int]
  private var created: [Int] = []

  /// An editor over a copy of `g`, with `g`'s node ids; `g` itself is not changed.
  public init(_ g: FunctionGraph) {
    nodes = g.nodes
    alive = [Bool](repeating: true, count: g.nodes.count)
    users = [[Int]](repeating: [], count: g.nodes.count)
    inputs = g.inputs
    outputs = g.outputs
    for (i, n) in g.nodes.enumerated() {
      for j in n.inputs { users[j].append(i) }
      if !GraphEditor.isUnique(n.op) {
        table[Key(op: n.op, inputs: n.inputs)] = table[Key(op: n.op, inputs: n.inputs)] ?? i
      }
    }
  }

  static func isUnique(_ op: Op) -> Bool {
    if case .input = op { return true }
    return false
  }

  // MARK: - Reading

  /// The number of nodes made so far, dead ones included: node ids are `0..<count`.
  public var count: Int { nodes.count }
  /// Whether node `i` is still in the graph (not replaced, nor dropped as unread).
  public func isAlive(_ i: Int) -> Bool { alive[i] }
  /// The op of node `i`.
  public func op(_ i: Int) -> Op { nodes[i].op }
  /// The result type of node `i`.
  public func type(_ i: Int) -> TensorType { nodes[i].type }
  /// The ids of node `i`'s operands, in order.
  public func args(_ i: Int) -> [Int] { nodes[i].inputs }
  /// The id of operand `k` of node `i`.
  public func arg(_ i: Int, _ k: Int) -> Int { nodes[i].inputs[k] }

  /// The distinct live nodes that read `i`, in increasing order.
  public func users(of i: Int) -> [Int] { Array(Set(users[i])).sorted() }

  /// How many times `i` is read: once per input slot of each user, plus once per graph output.
  public func useCount(_ i: Int) -> Int { users[i].count + outputs.filter { $0 == i }.count }

  /// Whether node `i` is one of the graph outputs.
  public func isOutput(_ i: Int) -> Bool { outputs.contains(i) }

  /// The live node ids in increasing order.
  public var liveNodes: [Int] { nodes.indices.filter { alive[$0] } }

  /// The scalar value of a constant node with one element, if it is one.
  public func scalarConstant(_ i: Int) -> Double? {
    if case .constant(let t) = nodes[i].op, t.count == 1 { return t.doubles[0] }
    return nil
  }

  /// The value of every element when `i` is a constant (or a broadcast of one) whose elements are
  /// all equal.
  public func uniformValue(_ i: Int) -> Double? {
    if case .constant(let t) = nodes[i].op {
      guard t.count > 0, t.count <= 4096 else { return nil }
      let d = t.doubles
      return d.allSatisfy({ $0 == d[0] }) ? d[0] : nil
    }
    return isBroadcast(nodes[i].op) ? uniformValue(nodes[i].inputs[0]) : nil
  }

  /// The live node `op(inputs)`, if there is one.
  public func existing(_ op: Op, _ inputs: [Int]) -> Int? {
    guard !GraphEditor.isUnique(op), let i = table[Key(op: op, inputs: inputs)], alive[i] else { return nil }
    return i
  }

  // MARK: - Building

  /// The node `op(inputs)`, made if it does not exist. Its type is inferred unless given.
  @discardableResult
  public func add(
    _ op: Op, _ inputs: [Int], type: TensorType? = nil, name: String? = nil, location: SourceLocation = .unknown
  ) throws -> Int {
    let key = Key(op: op, inputs: inputs)
    if !GraphEditor.isUnique(op), let i = table[key], alive[i] { return i }
    let t: TensorType
    if let type {
      t = type
    } else if case .constant(let v) = op {
      t = TensorType(v.dtype, v.shape.map { .fixed($0) })
    } else if case .shared(let s) = op {
      t = s.type
    } else {
      t = try op.inferType(inputs.map { nodes[$0].type })
    }
    nodes.append(FunctionGraph.Node(op: op, inputs: inputs, type: t, name: name, location: location))
    alive.append(true)
    users.append([])
    let id = nodes.count - 1
    for j in inputs { users[j].append(id) }
    if !GraphEditor.isUnique(op) { table[key] = id }
    created.append(id)
    return id
  }

  /// A scalar constant of `dtype`.
  public func constant(_ v: Double, _ dtype: DType, location: SourceLocation = .unknown) -> Int {
    try! add(.constant(Tensor(shape: [], dtype: dtype, values: [v])), [], location: location)
  }

  /// A new argument placeholder (not yet listed in `inputs`).
  public func addPlaceholder(_ name: String, _ type: TensorType, location: SourceLocation = .unknown) -> Int {
    try! add(.input(name), [], type: type, name: name, location: location)
  }

  /// Sets the graph outputs (passes on loop bodies change the signature).
  public func setOutputs(_ o: [Int]) {
    let old = outputs
    outputs = o
    for i in Set(old) where !outputs.contains(i) { collectIfDead(i) }
  }

  /// Sets the name of node `i` (nil clears it).
  public func setName(_ i: Int, _ name: String?) { nodes[i].name = name }

  // MARK: - Replacing

  /// Makes every reader of `old` read `new` instead, merging users that become duplicates, and drops
  /// whatever is no longer read. `new` keeps `old`'s name if it has none.
  public func replace(_ old: Int, with new: Int) {
    var work = [(old, new)]
    var forward: [Int: Int] = [:]
    func resolve(_ i: Int) -> Int {
      var i = i
      while let f = forward[i] { i = f }
      return i
    }
    while let (o, n0) = work.popLast() {
      let n = resolve(n0)
      guard alive[o], o != n else { continue }
      if nodes[n].name == nil { nodes[n].name = nodes[o].name }
      for u in Set(users[o]).sorted() where alive[u] {
        let oldKey = Key(op: nodes[u].op, inputs: nodes[u].inputs)
        if table[oldKey] == u { table[oldKey] = nil }
        for k in nodes[u].inputs.indices where nodes[u].inputs[k] == o {
          nodes[u].inputs[k] = n
          users[n].append(u)
        }
        if GraphEditor.isUnique(nodes[u].op) { continue }
        let key = Key(op: nodes[u].op, inputs: nodes[u].inputs)
        if let e = table[key], e != u, alive[e] {
          work.append((u, e))
        } else {
          table[key] = u
        }
      }
      users[o] = []
      outputs = outputs.map { $0 == o ? n : $0 }
      forward[o] = n
      collectIfDead(o)
    }
  }

  /// Drops `i` (and, in turn, its inputs) if nothing reads it and it is not an output or argument.
  func collectIfDead(_ i: Int) {
    var stack = [i]
    while let j = stack.popLast() {
      guard alive[j], users[j].isEmpty, !outputs.contains(j), !inputs.contains(j) else { continue }
      alive[j] = false
      let key = Key(op: nodes[j].op, inputs: nodes[j].inputs)
      if table[key] == j { table[key] = nil }
      for k in nodes[j].inputs {
        if let p = users[k].firstIndex(of: j) { users[k].remove(at: p) }
        stack.append(k)
      }
    }
  }

  /// The nodes made since the last call.
  func takeCreated() -> [Int] {
    defer { created = [] }
    return created
  }

  /// Drops the nodes made since the last `takeCreated()` that nothing reads (a rule's leftovers).
  func collectCreated() -> [Int] {
    let c = takeCreated()
    for i in c.reversed() { collectIfDead(i) }
    return c.filter { alive[$0] }
  }

  // MARK: - Finishing

  /// The live graph, renumbered in topological order: arguments first, then post-order from outputs.
  public func finish() -> FunctionGraph {
    var index = [Int](repeating: -1, count: nodes.count)
    var out: [FunctionGraph.Node] = []
    for i in inputs {
      index[i] = out.count
      out.append(nodes[i])
    }
    for root in outputs where index[root] < 0 {
      var stack: [(Int, Int)] = [(root, 0)]
      while let (v, next) = stack.popLast() {
        if index[v] >= 0 { continue }
        let ins = nodes[v].inputs
        if next < ins.count {
          stack.append((v, next + 1))
          if index[ins[next]] < 0 { stack.append((ins[next], 0)) }
          continue
        }
        precondition(
          !GraphEditor.isUnique(nodes[v].op), "finish: placeholder \(nodes[v].name ?? "?") is not an argument")
        var n = nodes[v]
        n.inputs = ins.map { index[$0] }
        index[v] = out.count
        out.append(n)
      }
    }
    return FunctionGraph(nodes: out, inputs: inputs.map { index[$0] }, outputs: outputs.map { index[$0] })
  }
}
