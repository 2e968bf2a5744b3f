import Codegen
import Foundation
import TestSupport
import XCTest

/// `scan-fission`: a loop whose carries form separate recurrences (stacked layers, each reading the
/// one below at the same step) runs as consecutive loops; the later loops' input products become
/// products of sequences, which `hoist-sequences` batches, and their weight gradients single GEMMs.
/// Values (outputs, final carries, gradients) agree with the pipeline without the pass, on the
/// interpreter and the native backend; the pass does not fire on mutual recurrences.
final class ScanFissionTests: XCTestCase {
  typealias F = ScanFixtures
  let T = 5, B = 3, I = 2, H = 3

  /// The pipeline without `scan-fission` (every other pass runs, verified).
  let withoutFission = OptimizerOptions(disabled: ["scan-fission"], verify: true)
  /// The whole pipeline, verified after every pass.
  let withFission = OptimizerOptions(verify: true)

  /// Layer weights: W [in, 4H], U [H, 4H], b [4H].
  struct Layer {
    let W, U, b: Var
    var inputs: [Var] { [W, U, b] }
  }

  func layer(_ l: Int, inWidth: Int, gates: Int = 4) -> Layer {
    Layer(
      W: input("W\(l)", .float64, [.fixed(inWidth), .fixed(gates * H)]),
      U: input("U\(l)", .float64, [.fixed(H), .fixed(gates * H)]),
      b: input("b\(l)", .float64, [.fixed(gates * H)]))
  }

  func layerArgs(_ l: Int, inWidth: Int, gates: Int = 4) -> [Tensor] {
    [
      F.rnd([inWidth, gates * H], UInt64(100 + 3 * l)), F.rnd([H, gates * H], UInt64(101 + 3 * l)),
      F.rnd([gates * H], UInt64(102 + 3 * l)),
    ]
  }

  /// A loop graph: its outputs (costs and gradients), inputs and arguments.
  struct Case {
    var outputs: [Var]
    var inputs: [Var]
    var args: [Tensor]
  }

  /// `depth` LSTM layers in one loop; layer l > 0 reads layer l-1's h of the same step. Outputs: the
  /// cost, the stacked top h, every final carry, and the gradients w.r.t. xs and every weight.
  func stackedLSTM(depth: Int = 3, reverse: Bool = false, mask: Bool = false) throws -> Case {
    let xs = input("xs", .float64, ["T", "B", .fixed(I)])
    let mk = input("mask", .float64, ["T", "B"])
    let layers = (0..<depth).map { layer($0, inWidth: $0 == 0 ? I : H) }
    let zero = broadcast(constant(0, .float64), to: [.dim(xs, 1), .n(H)])
    var carries: [(String, Var)] = []
    for l in 0..<depth { carries += [("h\(l)", zero), ("c\(l)", zero)] }
    let r = scan(sequenceList: [("x", xs)], carryList: carries, reverse: reverse, mask: mask ? mk : nil) { s in
      var inp = s["x"]
      var next: [String: Var] = [:]
      for (l, w) in layers.enumerated() {
        let (h, c) = F.lstmCell(x: inp, h: s["h\(l)"], c: s["c\(l)"], W: w.W, U: w.U, b: w.b, H: H)
        next["h\(l)"] = h
        next["c\(l)"] = c
        inp = h
      }
      return ScanStepResult(carries: next, outputs: ["top": inp])
    }
    let cost = (0..<depth).map { sum(r.final["c\($0)"]) }.reduce(sum(r["top"] * r["top"]), +)
    let weights = layers.flatMap(\.inputs)
    let grads = try grad(cost, wrt: [xs] + weights)
    let finals = (0..<depth).flatMap { [r.final["h\($0)"], r.final["c\($0)"]] }
    let m = Tensor(shape: [T, B], (0..<(T * B)).map { i in i / B < T - (i % B) ? 1.0 : 0.0 })
    let args =
      [F.rnd([T, B, I], 1, std: 1)] + (0..<depth).flatMap { layerArgs($0, inWidth: $0 == 0 ? I : H) } + (mask ? [m] : [])
    return Case(
      outputs: [cost, r["top"]] + finals + grads, inputs: [xs] + weights + (mask ? [mk] : []), args: args)
  }

  /// The outputs with and without `scan-fission`, on the interpreter and the native backend, agree
  /// (relative `tol`), and agree with the graph as built.
  func assertFissionKeepsValues(_ c: Case, tol: Double = 1e-10, file: StaticString = #filePath, line: UInt = #line)
    throws
  {
    let reference = try compile(inputs: c.inputs, outputs: c.outputs, mode: .interpreter, optimizer: .none)
      .call(c.args)
    for mode in [Mode.interpreter, .native] {
      for options in [withoutFission, withFission] {
        let f = try compile(inputs: c.inputs, outputs: c.outputs, mode: mode, optimizer: options)
        let got = try f.call(c.args)
        let what = "\(mode), \(options == withFission ? "with" : "without") fission"
        XCTAssertEqual(got.count, reference.count, what, file: file, line: line)
        for (k, (a, b)) in zip(got, reference).enumerated() {
          XCTAssertEqual(a.shape, b.shape, "\(what): output \(k) shape", file: file, line: line)
          assertClose(a.doubles, b.doubles, tol: tol, atol: tol, "\(what): output \(k)", file: file, line: line)
        }
      }
    }
  }

  /// The optimized graph and report of a case (whole pipeline, verified).
  func optimizedCase(_ c: Case, _ options: OptimizerOptions? = nil) throws -> (
    graph: FunctionGraph, report: OptimizationReport
  ) {
    try optimized(c.outputs, inputs: c.inputs, options ?? withFission)
  }

  /// Products per step of each loop of `g` (forward loops, then reverse ones).
  func productsPerStep(_ g: FunctionGraph) -> [Int] {
    loops(g).map { countNodes($0.bodyGraph, isProduct) }
  }

  // MARK: - Stacked layers

  func testThreeStackedLSTMLayersBecomeThreeLoops() throws {
    let c = try stackedLSTM()
    let (off, offReport) = try optimizedCase(c, withoutFission)
    let (on, report) = try optimizedCase(c)
    print("off", productsPerStep(off), loops(off).map(\.carryNames), offReport.hits("batched products"))
    print("on", productsPerStep(on), loops(on).map(\.carryNames), report.hits("batched products"))
    print(report)
    try assertFissionKeepsValues(c)
  }
}
