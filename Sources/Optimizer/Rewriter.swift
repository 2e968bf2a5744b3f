import Graph
import SketchRuntime

/// A rewrite rule: looks at one node and returns the node that should replace it, or nil for "no
/// change". Rules are small functions over ``GraphEditor``; they make the replacement's nodes with
/// `add` (which hash-conses) and must not make nodes when they return nil.
public struct Rule: Sendable {
  /// The rule's name, by which its hits are counted (``OptimizationReport/hits(_:)``).
  public let name: String
  let apply: @Sendable (GraphEditor, Int) throws -> Int?

  /// A rule called `name`: `apply` gets the editor and a node id and returns the replacement's id, or nil.
  public init(_ name: String, _ apply: @escaping @Sendable (GraphEditor, Int) throws -> Int?) {
    self.name = name
    self.apply = apply
  }
}

/// Runs rules over a graph to a fixed point with a worklist (tinygrad's graph_rewrite, as a loop).
///
/// Every live node is visited; when a rule replaces a node, the replacement, its users and the nodes
/// the rule made are visited again. At most `limit` rewrites are made (a guard against rules that
/// undo each other); hits are counted per rule name.
public enum Rewriter {
  /// Returns false when the limit stopped the rewrite before a fixed point.
  @discardableResult
  public static func run(_ e: GraphEditor, rules: [Rule], limit: Int, hits: inout [String: Int]) -> Bool {
    var stack = e.liveNodes.reversed().map { $0 }
    var queued = Set(stack)
    var rewrites = 0
    _ = e.takeCreated()
    func push(_ i: Int) {
      if queued.insert(i).inserted { stack.append(i) }
    }
    while let n = stack.popLast() {
      queued.remove(n)
      guard e.isAlive(n) else { continue }
      for rule in rules {
        let r: Int?
        do { r = try rule.apply(e, n) } catch { r = nil }
        guard let r, r != n, e.isAlive(r) else {
          _ = e.collectCreated()
          continue
        }
        let made = e.takeCreated()
        e.replace(n, with: r)
        hits[rule.name, default: 0] += 1
        rewrites += 1
        if rewrites >= limit { return false }
        for m in made where e.isAlive(m) { push(m) }
        if e.isAlive(r) {
          push(r)
          for u in e.users(of: r) { push(u) }
        }
        for m in made.reversed() { e.collectIfDead(m) }
        break
      }
    }
    return true
  }
}
