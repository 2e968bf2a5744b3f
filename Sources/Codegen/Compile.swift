import Graph
import Optimizer
import SketchRuntime

/// Compiles a graph into a callable function, like `theano.function`.
///
/// - Parameters:
///   - inputs: the `input(...)` variables, in the order the function takes its arguments.
///   - outputs: the variables it returns, in order.
///   - updates: pairs (shared variable, new value). The new values are computed with the outputs,
///     from the values before the call, and assigned after all of them are computed.
///   - mode: the backend. Without one, `SKETCH_MODE` chooses (`interpreter`, `native`, `debug`), else
///     native. An explicit mode wins over `SKETCH_MODE`, with a one-time warning on standard error
///     when they differ (so a run under `SKETCH_MODE=debug` says which functions it does not check).
///   - optimizer: which optimizer passes run (``OptimizerOptions``; by default all of them, or what
///     `SKETCH_OPT` says). The function runs the optimized graph; `graph` stays the graph as built.
///   - file: the file of the call site (by default the caller's), named in errors, warnings and `location`.
///   - line: the line of the call site (by default the caller's).
public func compile(
  inputs: [Var], outputs: [Var], updates: [(Var, Var)] = [], mode: Mode? = nil,
  optimizer: OptimizerOptions = .default, file: StaticString = #fileID, line: UInt = #line
) throws -> Function {
  let here = SourceLocation(file: file, line: line)
  let mode = try Mode.resolve(mode, at: here)
  var targets: [SharedVariable] = []
  for (target, value) in updates {
    try value.check()
    guard let s = target.sharedVariable else {
      throw GraphError(
        op: "compile", "an update target must be a shared variable, got \(target.operandDescription)",
        location: here)
    }
    guard !targets.contains(where: { $0 === s }) else {
      throw GraphError(op: "compile", "shared variable '\(s.name)' is updated twice", location: here)
    }
    guard value.dtype == s.type.dtype, value.rank == s.type.rank,
      zip(value.shape, s.type.shape).allSatisfy({ $0.fixedValue == nil || $0 == $1 })
    else {
      throw GraphError(
        op: "compile",
        "the update of '\(s.name)' (\(s.type)) has type \(value.type); it must keep the variable's type",
        location: here, operands: [value.operandDescription])
    }
    targets.append(s)
  }
  let graph = try FunctionGraph(inputs: inputs, outputs: outputs + updates.map(\.1))
  let function = Function(
    graph: graph, outputCount: outputs.count, updateTargets: targets, mode: mode, location: here)
  if optimizer.enabled {
    (function.optimizedGraph, function.optimization) = try optimize(graph, options: optimizer)
  }
  return function
}

/// A compiled function: call it with one tensor per input; it returns the outputs and applies updates.
public final class Function: @unchecked Sendable {
  /// The graph as built (what `debugDescription` prints).
  public let graph: FunctionGraph
  /// The graph the function runs: `graph` after the optimizer's pipeline (the same graph when the
  /// optimizer is off). See `Function+Optimizer.swift` for the pass statistics and the memory plan.
  public internal(set) var optimizedGraph: FunctionGraph
  /// What each optimizer pass did.
  public internal(set) var optimization = OptimizationReport()
  /// The mode the function was compiled for (the explicit one, else `SKETCH_MODE`'s, else native);
  /// ``backend`` says what its calls actually run on.
  public let mode: Mode
  /// Where `compile` was called.
  public let location: SourceLocation
  let outputCount: Int
  let updateTargets: [SharedVariable]
  let native = NativeSlot()

  init(graph: FunctionGraph, outputCount: Int, updateTargets: [SharedVariable], mode: Mode, location: SourceLocation) {
    self.graph = graph
    self.optimizedGraph = graph
    self.outputCount = outputCount
    self.updateTargets = updateTargets
    self.mode = mode
    self.location = location
  }

  /// Runs the function on `arguments` (by position).
  public func callAsFunction(_ arguments: Tensor...) throws -> [Tensor] { try call(arguments) }

  /// Runs the function on `arguments` (one per input, in order) and applies the updates; returns the
  /// outputs. Throws a `RuntimeError` for a wrong argument count, else what the backend throws.
  public func call(_ arguments: [Tensor]) throws -> [Tensor] {
    guard arguments.count == graph.inputs.count else {
      let names = graph.inputs.map { graph.nodes[$0].name ?? "?" }
      throw RuntimeError(
        "the function compiled at \(location) takes \(graph.inputs.count) arguments "
          + "(\(names.joined(separator: ", "))), got \(arguments.count)")
    }
    if mode == .native, let p = try native.program(for: optimizedGraph) {
      // Updates stay in the program's buffers of the variables (resident) until Swift reads them.
      let updates = updateTargets.enumerated().map { (output: outputCount + $0.offset, variable: $0.element) }
      return try p.run(optimizedGraph, arguments: arguments, returning: outputCount, updates: updates)
    }
    let values = try execute(arguments)
    for (s, v) in zip(updateTargets, values[outputCount...]) { try s.set(v) }
    return Array(values[..<outputCount])
  }

  /// The function's graph as a pytensor-style tree.
  public var debugDescription: String { graph.debugDescription() }
}

func getenvString(_ name: String) -> String? {
  guard let p = getenv(name) else { return nil }
  return String(cString: p)
}

#if canImport(Glibc)
  import Glibc
#endif
