import SketchRuntime

/// A flat, topologically ordered, hash-consed graph: what compiled functions, passes and backends use.
///
/// Made from the variables a user built (`FunctionGraph(inputs:outputs:)`). Identical nodes (same op,
/// same inputs) become one node, so common subexpressions are computed once.
public struct FunctionGraph: Sendable {
  /// One node of the graph: an op applied to earlier nodes, by index.
  public struct Node: Sendable {
    /// The op the node computes.
    public var op: Op
    /// The indices in ``FunctionGraph/nodes`` of the operands, in order (each before this node).
    public var inputs: [Int]
    /// The static type of the node's result (``ScanSpec/tupleType`` for a scan).
    public var type: TensorType
    /// The display name of the variable the node came from, if it had one.
    public var name: String?
    /// Where the node's variable was made in user code (nodes made by passes may have
    /// ``SourceLocation/unknown``).
    public var location: SourceLocation

    /// A node from its parts; `inputs` are indices of earlier nodes.
    public init(op: Op, inputs: [Int], type: TensorType, name: String? = nil, location: SourceLocation) {
      self.op = op
      self.inputs = inputs
      self.type = type
      self.name = name
      self.location = location
    }
  }

  /// Every node, in topological order: a node's operands come before it.
  public var nodes: [Node]
  /// The argument placeholders, in argument order.
  public var inputs: [Int]
  /// The nodes the function returns, in result order (a node may be returned more than once).
  public var outputs: [Int]
  /// The variable each node came from (the first one, when several merged); nil for nodes made by
  /// optimizer passes.
  public var origin: [Var?]

  /// A graph from its parts (what passes produce): `nodes` in topological order, `inputs` the
  /// argument placeholders in argument order, `outputs` the returned nodes.
  public init(nodes: [Node], inputs: [Int], outputs: [Int]) {
    self.nodes = nodes
    self.inputs = inputs
    self.outputs = outputs
    self.origin = [Var?](repeating: nil, count: nodes.count)
  }

  /// Imports the subgraph of `outputs`; every `input(...)` it reaches must be listed in `inputs`.
  public init(inputs: [Var], outputs: [Var]) throws {
    try self.init(inputs: inputs, outputs: outputs, collectInputs: false)
  }

  /// Imports the subgraph of `outputs`, taking every `input(...)` it reaches as an argument, in the
  /// order first reached (for dumps and tools that do not call the function).
  public static func of(_ outputs: [Var]) throws -> FunctionGraph {
    try FunctionGraph(inputs: [], outputs: outputs, collectInputs: true)
  }

  init(inputs: [Var], outputs: [Var], collectInputs: Bool) throws {
    nodes = []
    self.inputs = []
    self.outputs = []
    origin = []
    for v in inputs + outputs { try v.check() }
    var seenInputs = Set<ObjectIdentifier>()
    for (i, v) in inputs.enumerated() {
      guard case .input = v.op else {
        throw GraphError(
          op: "compile", "argument \(i) is \(v.operandDescription), not an input(...) variable",
          location: v.location)
      }
      guard seenInputs.insert(ObjectIdentifier(v)).inserted else {
        throw GraphError(op: "compile", "argument \(i) ('\(v.name ?? "?")') is listed twice", location: v.location)
      }
    }
    var index: [ObjectIdentifier: Int] = [:]
    var merged: [NodeKey: Int] = [:]
    for v in inputs { index[ObjectIdentifier(v)] = add(v, [], &merged, unique: true) }
    self.inputs = inputs.map { index[ObjectIdentifier($0)]! }

    // Iterative post-order DFS, so deep graphs (long unrolled loops) do not overflow the stack.
    for out in outputs {
      var stack: [(Var, Int)] = [(out, 0)]
      while let (v, next) = stack.popLast() {
        let key = ObjectIdentifier(v)
        if index[key] != nil { continue }
        if next < v.inputs.count {
          stack.append((v, next + 1))
          let child = v.inputs[next]
          if index[ObjectIdentifier(child)] == nil { stack.append((child, 0)) }
          continue
        }
        if case .input(let name) = v.op {
          if collectInputs {
            let id = add(v, [], &merged, unique: true)
            index[key] = id
            self.inputs.append(id)
            continue
          }
          throw GraphError(
            op: "compile",
            "the outputs depend on input '\(name)' (\(v.type)), which is not among the function's arguments"
              + " (if '\(name)' is a placeholder of the scan at \(v.location), a variable made inside that scan's step"
              + " is used outside it: use the scan's outputs or final carries instead)",
            location: v.location)
        }
        index[key] = add(v, v.inputs.map { index[ObjectIdentifier($0)]! }, &merged, unique: false)
      }
      self.outputs.append(index[ObjectIdentifier(out)]!)
    }
  }

  private struct NodeKey: Hashable {
    var op: Op
    var inputs: [Int]
    var unique: Int
  }

  private mutating func add(_ v: Var, _ ins: [Int], _ merged: inout [NodeKey: Int], unique: Bool) -> Int {
    let key = NodeKey(op: v.op, inputs: ins, unique: unique ? v.id : 0)
    if let i = merged[key] { return i }
    nodes.append(Node(op: v.op, inputs: ins, type: v.type, name: v.name, location: v.location))
    origin.append(v)
    merged[key] = nodes.count - 1
    return nodes.count - 1
  }

  /// For each node, the index of the last node that reads it (outputs count as read at the end).
  public func lastUses() -> [Int] {
    var last = [Int](repeating: -1, count: nodes.count)
    for (i, n) in nodes.enumerated() { for j in n.inputs { last[j] = i } }
    for o in outputs { last[o] = nodes.count }
    return last
  }
}
