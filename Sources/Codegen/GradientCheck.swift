import Graph
import SketchRuntime

/// A failed numeric gradient check, with what was compared.
public struct GradientCheckFailure: Error, CustomStringConvertible {
  /// One failed comparison: an input, a direction along it, and the two directional derivatives.
  public struct Mismatch: Sendable {
    /// The index of the input in `points`.
    public var input: Int
    /// The input's name: `names[input]`, else `x<input>`.
    public var inputName: String
    /// The index of the random unit direction `d`, in `0..<directions`.
    public var direction: Int
    /// The directional derivative `⟨∇, d⟩` from the symbolic gradient.
    public var analytic: Double
    /// The central finite difference `(f(x + εd) − f(x − εd)) / 2ε`.
    public var numeric: Double
    /// `|analytic − numeric|`.
    public var absoluteError: Double
    /// `absoluteError / max(|analytic|, |numeric|)`, or 0 when both are 0.
    public var relativeError: Double
  }
  /// Every failed comparison, by input, then by direction.
  public var mismatches: [Mismatch]
  /// The absolute and relative tolerances of the check.
  public var tolerance: (absolute: Double, relative: Double)

  /// `gradient check failed (tolerance ...):`, then one line per mismatch.
  public var description: String {
    var s = "gradient check failed (tolerance abs \(tolerance.absolute), rel \(tolerance.relative)):"
    for m in mismatches {
      s += "\n  input \(m.input) ('\(m.inputName)'), direction \(m.direction): symbolic \(m.analytic), "
      s += "finite differences \(m.numeric), abs error \(m.absoluteError), rel error \(m.relativeError)"
    }
    return s
  }
}

/// Checks symbolic gradients against central finite differences, in float64 (Theano's verify_grad).
///
/// `build` receives one float64 input variable per point and returns any float tensor. The checked
/// cost is `sum(output * R)` with a fixed random R, so every output element counts. For each input and
/// each of `directions` random unit directions `d`, the directional derivative `⟨∇, d⟩` from `grad` is
/// compared with `(f(x + εd) − f(x − εd)) / 2ε`. It passes when
/// `|a − n| <= absoluteTolerance + relativeTolerance · max(|a|, |n|)`.
///
/// `mode` is the backend the cost and its gradient run on: the interpreter (the default) runs the
/// graphs as built; any other mode compiles them with `compile` (optimizer on), so the check covers
/// the optimized graph and, for `.native`, the generated C.
public func checkGradient(
  at points: [Tensor], directions: Int = 3, epsilon: Double = 1e-6,
  absoluteTolerance: Double = 1e-6, relativeTolerance: Double = 1e-4, seed: UInt64 = 42,
  names: [String]? = nil, mode: Mode = .interpreter, _ build: ([Var]) -> Var
) throws {
  let xs = points.map { $0.cast(to: .float64) }
  let vars = xs.enumerated().map { i, x in
    input(names?[i] ?? "x\(i)", .float64, x.shape.map { .fixed($0) })
  }
  let out = build(vars)
  try out.check()
  guard out.dtype == .float64 else {
    throw GraphError(
      op: "checkGradient", "the function must return float64 (it got float64 inputs), got \(out.type)",
      location: out.location)
  }
  let outGraph = try FunctionGraph(inputs: vars, outputs: [out])
  let outShape = try Interpreter.run(outGraph, arguments: xs)[0].shape
  let key = RandomKey(seed: seed)
  let projection = Random.normal(key: key.fold(0xC0), shape: outShape, dtype: .float64)
  let cost = sum(out * constant(projection))
  let grads = try grad(cost, wrt: vars, disconnected: .zero)
  let run: ([Var]) throws -> ([Tensor]) throws -> [Tensor]
  if mode == .interpreter {
    run = { outputs in
      let g = try FunctionGraph(inputs: vars, outputs: outputs)
      return { try Interpreter.run(g, arguments: $0) }
    }
  } else {
    run = { outputs in
      let f = try compile(inputs: vars, outputs: outputs, mode: mode)
      return { try f.call($0) }
    }
  }
  let base = try run([cost] + grads)(xs)
  let costOnly = try run([cost])

  var mismatches: [GradientCheckFailure.Mismatch] = []
  for (i, x) in xs.enumerated() where x.count > 0 {
    let g = base[1 + i].doubles
    for k in 0..<directions {
      var d = Random.normal(key: key.fold(UInt64(1000 + 97 * i + k)), shape: x.shape, dtype: .float64).doubles
      let norm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
      d = d.map { $0 / max(norm, 1e-300) }
      let analytic = zip(g, d).reduce(0) { $0 + $1.0 * $1.1 }
      func at(_ s: Double) throws -> Double {
        var args = xs
        args[i] = Tensor(shape: x.shape, zip(x.doubles, d).map { $0 + s * $1 })
        return try costOnly(args)[0].scalarValue
      }
      let numeric = (try at(epsilon) - at(-epsilon)) / (2 * epsilon)
      let absErr = Swift.abs(analytic - numeric)
      let scale = max(Swift.abs(analytic), Swift.abs(numeric))
      if !(absErr <= absoluteTolerance + relativeTolerance * scale) {
        mismatches.append(
          .init(
            input: i, inputName: vars[i].name ?? "x\(i)", direction: k, analytic: analytic,
            numeric: numeric, absoluteError: absErr, relativeError: scale > 0 ? absErr / scale : 0))
      }
    }
  }
  if !mismatches.isEmpty {
    throw GradientCheckFailure(mismatches: mismatches, tolerance: (absoluteTolerance, relativeTolerance))
  }
}
