import Foundation
import Graph

/// Which passes run, and the limits they run under.
///
/// A pass is switched off by its name (`fusion`) or by the first part of a hyphenated name (`hoist`
/// switches off `hoist-invariants`, `hoist-sequences`, ...). The environment variable `SKETCH_OPT`
/// gives the same as a comma-separated list: `SKETCH_OPT=-fusion,-hoist` switches those off,
/// `SKETCH_OPT=none` runs no pass at all (the graph runs as built).
public struct OptimizerOptions: Sendable, Equatable {
  /// False to run the graph as built (no pass, no memory plan).
  public var enabled = true
  /// Names (or name prefixes) of passes not to run.
  public var disabled: Set<String> = []
  /// The most rewrites one rule set may make on one graph (a guard against rules undoing each other).
  public var rewriteLimit = 200_000
  /// Keep a copy of the graph after every pass (for `dump-graph --stage all`).
  public var keepStages = false
  /// Check after every pass that the graph is well formed (types re-inferred, order, arity).
  public var verify = false

  /// Options with the given switches and the default rewrite limit (200 000); by default every pass.
  public init(enabled: Bool = true, disabled: Set<String> = [], keepStages: Bool = false, verify: Bool = false) {
    self.enabled = enabled
    self.disabled = disabled
    self.keepStages = keepStages
    self.verify = verify
  }

  /// No optimization: the function runs the graph as the user built it.
  public static let none = OptimizerOptions(enabled: false)

  /// Every pass.
  public static let all = OptimizerOptions()

  /// The options of `SKETCH_OPT` (every pass when it is not set; a value that does not parse is
  /// reported once on stderr and ignored).
  public static var `default`: OptimizerOptions {
    guard let p = getenv("SKETCH_OPT") else { return .all }
    do {
      return try parse(String(cString: p))
    } catch {
      warnOnce("sketch: warning: ignoring SKETCH_OPT: \(error)\n")
      return .all
    }
  }

  private static let warned = WarnedOnce()
  private static func warnOnce(_ message: String) {
    if warned.first(message) { FileHandle.standardError.write(Data(message.utf8)) }
  }

  /// Whether the pass called `name` runs.
  public func runs(_ name: String) -> Bool {
    guard enabled else { return false }
    if disabled.contains(name) { return false }
    let parts = name.split(separator: "-")
    for k in 1..<max(parts.count, 1) where disabled.contains(parts[..<k].joined(separator: "-")) { return false }
    return true
  }

  /// Parses `-fusion,-hoist` (off), `none`, `all`, and bare names (`fusion`, meaning on).
  public static func parse(_ spec: String) throws -> OptimizerOptions {
    var o = OptimizerOptions()
    let known = Set(Pipeline.passNames + ["memory-plan"])
    for raw in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !raw.isEmpty {
      switch raw {
      case "none", "0", "off": o.enabled = false
      case "all", "1", "on": o.enabled = true
      case "verify": o.verify = true
      default:
        let off = raw.hasPrefix("-")
        let name = String(raw.drop { $0 == "-" || $0 == "+" })
        guard known.contains(where: { $0 == name || $0.hasPrefix(name + "-") }) else {
          throw OptimizerError(
            "unknown optimizer pass '\(name)' (passes: \(Pipeline.passNames.joined(separator: ", ")), memory-plan)")
        }
        if off { o.disabled.insert(name) } else { o.disabled.remove(name) }
      }
    }
    return o
  }
}

/// Messages already printed.
final class WarnedOnce: @unchecked Sendable {
  private var seen = Set<String>()
  private let lock = NSLock()
  func first(_ m: String) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    return seen.insert(m).inserted
  }
}

/// An error of the optimizer (a bad option, or a pass that produced an ill-formed graph).
public struct OptimizerError: Error, CustomStringConvertible {
  /// What is wrong, as a sentence for the user.
  public var message: String
  /// An error saying `m`.
  public init(_ m: String) { message = m }
  /// The message.
  public var description: String { message }
}
