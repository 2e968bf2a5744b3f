import Foundation
import PropertyBased
import TestSupport
import Testing

@testable import Codegen

/// Random graphs (the optimizer property test's generator: elementwise ops, broadcasting, reductions,
/// products, reshapes, a recurrent loop, gradients) give the same outputs on the native backend and
/// the interpreter, after optimization. Tolerance: relative 1e-12 with an absolute floor of 1e-12
/// (float64; the C uses the same libm functions and the same order of operations).
@Suite struct NativePropertyTests {
  @Test func randomGraphsAgreeNativeAndInterpreted() async {
    await propertyCheck(count: 16, input: Gen.int(in: 0...1_000_000_000)) { seed in
      let (outs, ins, args) = RandomGraph.make(seed: UInt64(seed))
      let (g, _) = try optimize(try FunctionGraph(inputs: ins, outputs: outs), options: .default)
      let reference = try Interpreter.run(g, arguments: args)
      let got = try NativeProgram(graph: g).run(g, arguments: args)
      #expect(got.count == reference.count)
      for (k, (a, b)) in zip(got, reference).enumerated() {
        #expect(a.shape == b.shape, "output \(k)")
        let bad = zip(a.doubles, b.doubles).first { !isClose($0, $1, tol: 1e-12, atol: 1e-12) }
        #expect(bad == nil, "seed \(seed), output \(k): \(bad.map { "\($0.0) vs \($0.1)" } ?? "")")
      }
    }
  }
}
