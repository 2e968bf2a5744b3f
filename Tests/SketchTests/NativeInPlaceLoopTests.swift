import Foundation
import Optimizer
import XCTest

@testable import Codegen

/// Loop results written over a sequence of their loop (`Aliasing.overSequence`): an LSTM's
/// pre-activations over its input projections, the gates' gradients over the stored pre-activations.
/// The native backend's values are checked against the interpreter on the same optimized graphs, and
/// the memory plan against the same graph without the aliasing.
final class NativeInPlaceLoopTests: XCTestCase {
  typealias F = ScanFixtures
  let T = 5, B = 3, I = 4, H = 16

  /// An LSTM's cost and gradients (float32 or float64), the inputs and their values.
  func lstm(_ dtype: DType, policy: ScanPolicy = .store) throws -> (outputs: [Var], inputs: [Var], args: [Tensor]) {
    let (xs, W, U, b, h0, c0) = F.lstmInputs(dtype, I: I, H: H)
    // The input projection with its bias before the loop, h·U added in the step (as the handwriting
    // models build it: `RecurrentLayer`).
    let gx = reshape(matmul(reshape(xs, [-1, .n(I)]), W) + b, [.dim(xs, 0), .dim(xs, 1), .n(4 * H)])
    let r = scan(sequences: ["gx": gx], carries: ["h": h0, "c": c0], policy: policy) { s in
      let g = s["gx"] + matmul(s["h"], U)
      let (i, f) = (sigmoid(F.part(g, 0, H)), sigmoid(F.part(g, 1, H)))
      let (u, o) = (tanh(F.part(g, 2, H)), sigmoid(F.part(g, 3, H)))
      let c = f * s["c"] + i * u
      let h = o * tanh(c)
      return ScanStepResult(carries: ["h": h, "c": c], outputs: ["h": h])
    }
    let cost = sum(r["h"] * r["h"]) + sum(r.final["c"])
    let grads = try grad(cost, wrt: [xs, W, U, b, h0, c0])
    let args = [
      F.rnd([T, B, I], 1, std: 1, dtype: dtype), F.rnd([I, 4 * H], 2, dtype: dtype),
      F.rnd([H, 4 * H], 3, std: 0.3, dtype: dtype), F.rnd([4 * H], 4, dtype: dtype),
      F.rnd([B, H], 5, dtype: dtype), F.rnd([B, H], 6, dtype: dtype),
    ]
    return ([cost] + grads, [xs, W, U, b, h0, c0], args)
  }

  func assertClose(_ got: [Tensor], _ want: [Tensor], tol: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, want.count, file: file, line: line)
    for (k, (g, w)) in zip(got, want).enumerated() {
      XCTAssertEqual(g.shape, w.shape, "output \(k)", file: file, line: line)
      for (p, q) in zip(g.doubles, w.doubles) {
        XCTAssertEqual(p, q, accuracy: tol * Swift.max(1, Swift.abs(q)), "output \(k)", file: file, line: line)
      }
    }
  }

  /// float32: the forward loop accumulates h·U onto the input projection in place (the stored
  /// pre-activation is that buffer), and the gradient loop writes the gates' gradients over it.
  func testLSTMWritesPreActivationsAndTheirGradientsOverTheirSequences() throws {
    let (outs, ins, args) = try lstm(.float32)
    let f = try compile(inputs: ins, outputs: outs, mode: .native)
    let g = f.optimizedGraph
    let a = Aliasing(g)
    let kinds = a.overSequence.values.map(\.how)
    XCTAssertEqual(a.overSequence.count, 2, "one output over a sequence in each loop")
    XCTAssertTrue(kinds.contains { if case .gemm = $0 { return true } else { return false } }, "\(kinds)")
    XCTAssertTrue(kinds.contains { if case .kernel = $0 { return true } else { return false } }, "\(kinds)")
    let c = try generatedC(for: g)
    XCTAssertEqual(c.components(separatedBy: "over a sequence */").count - 1, 2)
    let got = try f.call(args)
    let want = try Interpreter.run(g, arguments: args)
    assertClose(got, want, tol: 2e-5)
    // The same graph's plan: one [T, B, 4H] buffer serves the projection, the stored pre-activation
    // and the gates' gradients.
    let dims = ["T": 600, "B": 56]
    let plan = try MemoryPlan(g, dims: dims)
    let (allOutputs, allInputs, _) = try lstm(.float32, policy: .storeAll)
    let all = try compile(inputs: allInputs, outputs: allOutputs, mode: .native)
    let old = try MemoryPlan(all.optimizedGraph, dims: dims)
    let step = 600 * 56 * 4 * H * 4
    XCTAssertLessThanOrEqual(plan.arenaBytes + step * 9 / 10, old.arenaBytes, "a [T, B, 4H] buffer fewer")
    XCTAssertLessThan(plan.storedForGradientBytes, old.storedForGradientBytes)
  }

  /// float64 products keep BLAS's rounding (no accumulation in place), so only the gradient loop
  /// writes over its sequence; the values agree with the interpreter to rounding.
  func testFloat64KeepsProductsOutOfPlace() throws {
    let (outs, ins, args) = try lstm(.float64)
    let f = try compile(inputs: ins, outputs: outs, mode: .native)
    let a = Aliasing(f.optimizedGraph)
    XCTAssertEqual(a.overSequence.count, 1)
    XCTAssertFalse(a.overSequence.values.contains { if case .gemm = $0.how { return true } else { return false } })
    assertClose(try f.call(args), try Interpreter.run(f.optimizedGraph, arguments: args), tol: 1e-12)
  }

  /// A sequence read again after the loop, or returned, keeps its buffer; one that dies is written
  /// over by an elementwise step reading it at the same elements.
  func testOnlyDyingSequencesAreOverwritten() throws {
    let x = input("x", .float64, ["T", 3])
    let xs = exp(x)
    func loop(_ s: Var) -> ScanResult {
      scan(sequences: ["s": s], carries: ["a": constant(Tensor(shape: [3], [0.0, 0.0, 0.0]))]) { st in
        let y = st["s"] * 2 + st["a"]
        return ScanStepResult(carries: ["a": y * 0.5], outputs: ["y": y])
      }
    }
    let xv = Random.normal(key: RandomKey(seed: 21), shape: [4, 3], dtype: .float64)
    let e = xv.doubles.map { Foundation.exp($0) }
    var want: [Double] = []
    var carry = [0.0, 0.0, 0.0]
    for t in 0..<4 {
      for j in 0..<3 {
        want.append(e[t * 3 + j] * 2 + carry[j])
        carry[j] = want[want.count - 1] * 0.5
      }
    }
    // Dies at the loop: written over.
    let dying = try FunctionGraph(inputs: [x], outputs: [loop(xs)["y"]])
    XCTAssertEqual(Aliasing(dying).overSequence.count, 1)
    // Read after the loop, and returned: kept.
    let later = loop(xs)
    let readAfter = try FunctionGraph(inputs: [x], outputs: [later["y"], sum(xs)])
    XCTAssertEqual(Aliasing(readAfter).overSequence.count, 0)
    let returned = try FunctionGraph(inputs: [x], outputs: [later["y"], xs])
    XCTAssertEqual(Aliasing(returned).overSequence.count, 0)
    // An argument is never overwritten.
    let argument = try FunctionGraph(inputs: [x], outputs: [loop(x)["y"]])
    XCTAssertEqual(Aliasing(argument).overSequence.count, 0)
    for g in [dying, readAfter, returned] {
      let out = try NativeProgram(graph: g).run(g, arguments: [xv])
      for (p, q) in zip(out[0].doubles, want) { XCTAssertEqual(p, q, accuracy: 1e-12) }
      if g.outputs.count > 1, g.nodes[g.outputs[1]].type.rank == 0 {
        XCTAssertEqual(out[1].doubles[0], e.reduce(0, +), accuracy: 1e-12)
      } else if g.outputs.count > 1 {
        for (p, q) in zip(out[1].doubles, e) { XCTAssertEqual(p, q, accuracy: 1e-12) }
      }
    }
  }
}
