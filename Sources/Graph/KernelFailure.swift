import SketchRuntime

/// The run-time failures that kernels detect on values (not shapes), with their messages: the
/// interpreter throws them, and generated C returns their code (with the failing node and two numbers
/// in `sk_err`), which the native backend turns into the same message. One table for both.
public enum KernelFailure: Int32, CaseIterable, Sendable {
  /// `take`, `takeAlong`: an index outside the axis (a: the index, b: the axis size).
  case indexOutOfRange = 2
  /// A categorical draw over an empty last axis.
  case emptyCategorical = 3
  /// A categorical draw with a negative or NaN probability (a: the value).
  case badProbability = 4
  /// A scan of no steps (a: the step count).
  case emptyScan = 5
  /// Generated code could not allocate memory (a: bytes).
  case outOfMemory = 6

  /// The message for a failure in a node of op `op`, with the numbers `a` and `b` it reported.
  public func message(_ op: Op, _ a: Double = 0, _ b: Double = 0) -> String {
    switch self {
    case .indexOutOfRange:
      var axis = 0
      if case .take(let k) = op { axis = k } else if case .takeGrad(let k) = op { axis = k }
      if case .takeAlong(let k) = op { axis = k } else if case .takeAlongGrad(let k) = op { axis = k }
      return "index \(Int(a)) is out of range for axis \(axis) of size \(Int(b))"
    case .emptyCategorical: return "categorical over an empty last axis"
    case .badProbability:
      return "categorical probabilities must be nonnegative numbers (found \(a))"
    case .emptyScan:
      let at = { if case .scan(let spec) = op { return " (scan at \(spec.location))" } else { return "" } }()
      return "a scan of \(Int(a)) steps\(at); scans need at least one step"
    case .outOfMemory: return "out of memory (\(Int(a)) bytes)"
    }
  }

  /// The error to throw.
  public func error(_ op: Op, _ a: Double = 0, _ b: Double = 0) -> RuntimeError { RuntimeError(message(op, a, b)) }
}
