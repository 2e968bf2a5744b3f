import Foundation
import Graph

/// Where a function's native code spends its time, node by node, like Theano's `profile=True`.
///
/// With `SKETCH_PROFILE=1` in the environment when a function is first called, its C wraps every
/// node call (scan bodies included) in a monotonic timer; `Function.nativeProfile` reads the totals.
/// A scan's time includes its body's nodes, which are listed as well. The timers cost about 50 ns a
/// call and keep the C compiler from inlining the node functions, so profiled runs are a little slower.
public struct NativeProfile: CustomStringConvertible, Sendable {
  /// One timed node: its label, op and type, its total time and how many times it ran.
  public struct Entry: Sendable {
    /// The node's label in its graph (`debugprint`'s letters); `scan body k` for body nodes.
    public var node: String
    /// The node's op, as `Op.name` prints it.
    public var op: String
    /// The node's result type, as printed (`f32[T,B,3]`).
    public var type: String
    /// The node's total time in seconds, over every call so far.
    public var seconds: Double
    /// How many times the node ran.
    public var calls: Int
    /// Whether the time includes other listed nodes (a scan, including its body).
    public var inclusive: Bool
  }

  /// One entry per node that ran, in layout order: the outer graph's nodes, then each loop body's.
  public var entries: [Entry]

  static var enabled: Bool {
    ProcessInfo.processInfo.environment["SKETCH_PROFILE"].map { $0 != "" && $0 != "0" } ?? false
  }

  /// The time of the nodes that do not contain others (what the calls add up to).
  public var totalSeconds: Double { entries.filter { !$0.inclusive }.reduce(0) { $0 + $1.seconds } }

  /// Time by operation (fused kernels, gemm, slices...), nodes inside and outside scans together.
  public var byOp: [(op: String, seconds: Double)] {
    var t: [String: Double] = [:]
    for e in entries where !e.inclusive {
      t[e.op.split(separator: "{").first.map(String.init) ?? e.op, default: 0] += e.seconds
    }
    return t.sorted { $0.value > $1.value }.map { ($0.key, $0.value) }
  }

  /// A table of the `top` most expensive nodes, then the time by operation.
  public func report(top: Int = 25) -> String {
    let total = totalSeconds
    var lines = [
      "native profile: \(String(format: "%.3f", total)) s in \(entries.filter { !$0.inclusive }.count) timed nodes"
    ]
    lines.append("     seconds      %      calls  us/call  node")
    for e in entries.sorted(by: { $0.seconds > $1.seconds }).prefix(top) {
      let share = total > 0 ? 100 * e.seconds / total : 0
      let per = 1e6 * e.seconds / Double(Swift.max(e.calls, 1))
      let op = e.op.count > 60 ? String(e.op.prefix(57)) + "..." : e.op
      lines.append(
        String(format: "%12.4f %6.1f %10d %8.1f  ", e.seconds, share, e.calls, per)
          + "\(e.node) \(op) \(e.type)\(e.inclusive ? " (incl. body)" : "")")
    }
    lines.append("by operation:")
    for (op, s) in byOp.prefix(10) {
      lines.append(String(format: "%12.4f %6.1f  ", s, total > 0 ? 100 * s / total : 0) + op)
    }
    return lines.joined(separator: "\n")
  }

  /// ``report(top:)`` with its default 25 rows.
  public var description: String { report() }
}

extension Function {
  /// The per-node times of this function's native code so far, or nil when it was not compiled with
  /// `SKETCH_PROFILE=1` (or does not run natively).
  public var nativeProfile: NativeProfile? {
    guard let program = native.loaded, let times = program.profile() else { return nil }
    let layout = program.layout
    var entries: [NativeProfile.Entry] = []
    for (id, seconds, calls) in times {
      let g = layout.base.lastIndex { $0 <= id }!
      let i = id - layout.base[g]
      let node = layout.graphs[g].nodes[i]
      var inclusive = false
      if case .scan = node.op { inclusive = true }
      entries.append(
        .init(
          node: (g == 0 ? "" : "scan body \(g): ") + FunctionGraph.label(i), op: node.op.name,
          type: "\(node.type)", seconds: seconds, calls: calls, inclusive: inclusive))
    }
    return NativeProfile(entries: entries)
  }
}
