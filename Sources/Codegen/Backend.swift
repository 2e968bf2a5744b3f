import Foundation
import Graph
import SketchRuntime

/// Which backend runs a compiled function.
public enum Mode: String, Sendable, CaseIterable {
  /// The reference interpreter: each op's Swift kernel.
  case interpreter
  /// Generated C, compiled with the system cc and loaded with dlopen; falls back to the interpreter
  /// (with a one-time warning) when the graph or the machine cannot run it, unless
  /// `SKETCH_BACKEND=native`, which makes that an error.
  case native
  /// Runs both and reports the first output that differs (Theano's DebugMode).
  case debug

  /// The mode used when none is given: `SKETCH_MODE` if set (and valid), else native.
  public static var `default`: Mode { (try? environment()) ?? nil ?? .native }

  /// `SKETCH_MODE`, nil when unset; an error names the variable and the modes when it is not one.
  public static func environment() throws -> Mode? {
    guard let s = ProcessInfo.processInfo.environment["SKETCH_MODE"], !s.isEmpty else { return nil }
    guard let m = Mode(rawValue: s) else {
      throw RuntimeError(
        "SKETCH_MODE=\(s) is not a mode; use one of \(Mode.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return m
  }

  /// The mode of a `compile` call: the explicit one (warning once per call site when `SKETCH_MODE`
  /// says otherwise), else the environment's, else native.
  static func resolve(_ explicit: Mode?, at location: SourceLocation) throws -> Mode {
    let env = try environment()
    guard let explicit else { return env ?? .native }
    if let env, env != explicit {
      NativeSlot.warnOnce(
        "compile(mode: .\(explicit.rawValue)) at \(location) overrides SKETCH_MODE=\(env.rawValue)",
        prefix: "sketch: warning: ")
    }
    return explicit
  }
}

/// The native program of a function, built on first use; nil when it fell back to the interpreter.
final class NativeSlot: @unchecked Sendable {
  /// The compiler this function's C goes through (tests swap it).
  var compiler = CCompiler.shared
  private var state: Result<NativeProgram, Error>?
  private let lock = NSLock()
  nonisolated(unsafe) static var warned = Set<String>()
  static let warnLock = NSLock()

  /// The program if it has been built (for profiles).
  var loaded: NativeProgram? {
    lock.lock()
    defer { lock.unlock() }
    if case .success(let p) = state { return p }
    return nil
  }

  /// Why the native program could not be built (nil when it was, or when it has not been tried).
  var failure: String? {
    lock.lock()
    defer { lock.unlock() }
    if case .failure(let e) = state { return "\(e)" }
    return nil
  }

  func program(for graph: FunctionGraph) throws -> NativeProgram? {
    lock.lock()
    defer { lock.unlock() }
    if state == nil { state = Result { try NativeProgram(graph: graph, compiler: compiler) } }
    switch state! {
    case .success(let p): return p
    case .failure(let e):
      if ProcessInfo.processInfo.environment["SKETCH_BACKEND"] == "native" { throw e }
      Self.warnOnce("\(e)")
      return nil
    }
  }

  static func warnOnce(_ message: String, prefix: String = "sketch: warning: using the interpreter: ") {
    warnLock.lock()
    defer { warnLock.unlock() }
    guard warned.insert(message).inserted else { return }
    FileHandle.standardError.write(Data("\(prefix)\(message)\n".utf8))
  }
}

/// A mismatch between the native backend and the interpreter found in debug mode.
public struct BackendMismatch: Error, CustomStringConvertible {
  /// The index of the first output that differs, counting the function's outputs, then its updates' values.
  public var output: Int
  /// The node that computes that output in the graph as built: `OP TYPE made at FILE:LINE`.
  public var node: String
  /// How the values differ: `element I: native X, interpreter Y`, or the two dtypes and shapes.
  public var detail: String
  /// `debug mode: output K (NODE) differs between native and interpreter: DETAIL`.
  public var description: String {
    "debug mode: output \(output) (\(node)) differs between native and interpreter: \(detail)"
  }
}

/// The backend a compiled function's calls run on, and why it is not the native one.
public enum ActiveBackend: Equatable, Sendable, CustomStringConvertible {
  /// Generated C (in `.debug` mode: compared with the interpreter at every call).
  case native
  /// The interpreter, because the mode asks for it.
  case interpreter
  /// The interpreter, because the native program could not be built: the reason.
  case fallback(String)

  /// `native`, `interpreter`, or `interpreter (fell back: REASON)`.
  public var description: String {
    switch self {
    case .native: return "native"
    case .interpreter: return "interpreter"
    case .fallback(let why): return "interpreter (fell back: \(why))"
    }
  }
}

extension Function {
  /// The backend this function's calls run on. For the native and debug modes this builds the
  /// native program if no call has yet (as the first call would), so the answer is what runs.
  public var backend: ActiveBackend {
    if mode == .interpreter { return .interpreter }
    do {
      if try native.program(for: optimizedGraph) != nil { return .native }
    } catch {
      return .fallback("\(error)")
    }
    return .fallback(native.failure ?? "unknown")
  }

  /// Runs the graph on the function's backend.
  func execute(_ arguments: [Tensor]) throws -> [Tensor] {
    switch mode {
    case .interpreter:
      return try Interpreter.run(optimizedGraph, arguments: arguments)
    case .native:
      guard let p = try native.program(for: optimizedGraph) else {
        return try Interpreter.run(optimizedGraph, arguments: arguments)
      }
      return try p.run(optimizedGraph, arguments: arguments)
    case .debug:
      let reference = try Interpreter.run(optimizedGraph, arguments: arguments)
      guard let p = try native.program(for: optimizedGraph) else { return reference }
      let got = try p.run(optimizedGraph, arguments: arguments)
      for (k, (a, b)) in zip(got, reference).enumerated() {
        if let d = Self.difference(a, b) {
          let node = graph.nodes[graph.outputs[k]]
          throw BackendMismatch(output: k, node: "\(node.op.name) \(node.type) made at \(node.location)", detail: d)
        }
      }
      return reference
    }
  }

  /// Where two results differ beyond the dtype's tolerance (float32 1e-5, float64 1e-12 relative).
  static func difference(_ a: Tensor, _ b: Tensor) -> String? {
    guard a.shape == b.shape, a.dtype == b.dtype else { return "\(a.dtype)\(a.shape) vs \(b.dtype)\(b.shape)" }
    let tol = a.dtype == .float32 ? 1e-5 : 1e-12
    for (i, (x, y)) in zip(a.doubles, b.doubles).enumerated() {
      if x == y || (x.isNaN && y.isNaN) { continue }
      if Swift.abs(x - y) > tol * Swift.max(1, Swift.abs(x), Swift.abs(y)) {
        return "element \(i): native \(x), interpreter \(y)"
      }
    }
    return nil
  }
}

extension Function {
  /// Compile times of this function's native code: with an empty cache (emit + cc + load) and again
  /// from that cache (emit + load). For `sketch bench`.
  public func measureNativeCompile() throws -> (cold: Double, warm: Double) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let cc = CCompiler(cacheDirectory: dir)
    _ = try cc.identity()
    let t0 = Date()
    _ = try NativeProgram(graph: optimizedGraph, compiler: cc)
    let cold = Date().timeIntervalSince(t0)
    let t1 = Date()
    _ = try NativeProgram(graph: optimizedGraph, compiler: cc)
    return (cold, Date().timeIntervalSince(t1))
  }
}
