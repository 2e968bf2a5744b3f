import Codegen
import Foundation
import TestSupport
import XCTest

/// Elementwise fusion: regions, kernels built from each op's scalar definition, canonical names, the
/// interpreter's results for fused nodes (exactly the unfused results: same scalar functions, same
/// order), and the cases where a region must stop.
final class OptimizerFusionTests: XCTestCase {
  let fusion = onlyPasses("fusion")

  func kernels(_ g: FunctionGraph) -> [Kernel] {
    g.nodes.compactMap { if case .fused(let k) = $0.op { return k } else { return nil } }
  }

  func testAChainBecomesOneKernelWithImmediates() throws {
    let x = input("x", .float32, ["B", 4])
    let b = input("b", .float32, [4])
    let y = tanh(sigmoid(x + b) * 2.0 - x)
    let (g, report) = try optimized([y], inputs: [x, b], fusion)
    let ks = kernels(g)
    XCTAssertEqual(ks.count, 1)
    XCTAssertEqual(
      ks[0].canonicalText,
      "in f32,f32; %2=add(%0,%1); %3=sigmoid(%2); %4=f32 2.0; %5=mul(%3,%4); %6=sub(%5,%0); %7=tanh(%6); out %7")
    XCTAssertEqual(ks[0].inputCount, 2)
    XCTAssertEqual(ks[0].operationCount, 5)
    XCTAssertEqual(report.hits("fused ops"), 5)
    XCTAssertEqual(countNodes(g) { $0.isElementwise }, 0)
    var rng = SeededGenerator(seed: 1)
    let args = [rng.tensor([3, 4], dtype: .float32), rng.tensor([4], dtype: .float32)]
    try assertSameValues([y], inputs: [x, b], args, options: fusion, tol: 0)
  }

  func testSharedValuesBecomeExtraOutputs() throws {
    let x = input("x", .float64, [2, 3])
    let s = sigmoid(x)
    let outs = [s * 2.0, exp(s), sum(s)]  // s is read inside the kernel and by the reduction
    let (g, _) = try optimized(outs, inputs: [x], fusion)
    let ks = kernels(g)
    XCTAssertEqual(ks.count, 1)
    XCTAssertEqual(ks[0].outputs.count, 3)
    XCTAssertEqual(countNodes(g) { if case .tupleElement = $0 { return true } else { return false } }, 3)
    var rng = SeededGenerator(seed: 2)
    try assertSameValues(outs, inputs: [x], [rng.tensor([2, 3])], options: fusion, tol: 0)
  }

  func testRegionsStopAtOtherShapesAndAtCycles() throws {
    let x = input("x", .float64, [2, 3])
    let v = input("v", .float64, [3])
    // v * 2 has shape [3], the rest [2, 3]: two kernels; v*2 is an input of the big one.
    let y = exp(x) + v * 2.0
    let (g, _) = try optimized([y], inputs: [x, v], fusion)
    XCTAssertEqual(kernels(g).count, 2)
    // a = exp(x) feeds a reduction whose result feeds b = a * r: a and b in one kernel would need
    // the reduction both before and after it.
    let a = exp(x)
    let r = sum(a, axes: [1], keepDims: true)
    let b2 = a * r + a
    let (g2, _) = try optimized([b2], inputs: [x], fusion)
    XCTAssertEqual(kernels(g2).count, 2)
    var rng = SeededGenerator(seed: 3)
    let args = [rng.tensor([2, 3]), rng.tensor([3])]
    try assertSameValues([y, b2], inputs: [x, v], args, options: fusion, tol: 0)
  }

  func testComparisonsSelectsCastsAndIntegers() throws {
    let x = input("x", .float64, [5])
    let i = input("i", .int32, [5])
    let y = select(x > 0.0, x * 3.0, -x) + (i * i).cast(.float64)
    let (g, _) = try optimized([y], inputs: [x, i], fusion)
    XCTAssertEqual(kernels(g).count, 1)
    XCTAssertTrue(kernels(g)[0].canonicalText.contains("cast{f64}"))
    try assertSameValues(
      [y], inputs: [x, i], [tensor([5], [-2, -1, 0, 1, 2]), tensor([5], [1, 2, 3, 4, 5], .int32)],
      options: fusion, tol: 0)
  }

  func testCanonicalTextNamesTheKernel() {
    let a = Kernel(instructions: [.input(0), .unary(.exp, 0)], dtypes: [.float32, .float32], outputs: [1])
    let b = Kernel(instructions: [.input(0), .unary(.exp, 0)], dtypes: [.float32, .float32], outputs: [1])
    let c = Kernel(instructions: [.input(0), .unary(.exp, 0)], dtypes: [.float64, .float64], outputs: [1])
    XCTAssertEqual(a, b)
    XCTAssertEqual(a.hashValue, b.hashValue)
    XCTAssertNotEqual(a, c, "the dtype is part of the name")
    XCTAssertEqual(Op.fused(a).name, "fused{in f32; %1=exp(%0); out %1}")
  }

  /// Kernels respect their limits: a region larger than Kernel.maxInputs inputs is split.
  func testLimitsSplitRegions() throws {
    let xs = (0..<(Kernel.maxInputs + 6)).map { input("x\($0)", .float64, [2]) }
    let y = xs.dropFirst().reduce(xs[0]) { $0 + $1 }
    let (g, _) = try optimized([y], inputs: xs, fusion)
    XCTAssertGreaterThan(kernels(g).count, 1)
    XCTAssertTrue(kernels(g).allSatisfy { $0.inputCount <= Kernel.maxInputs })
    var rng = SeededGenerator(seed: 4)
    try assertSameValues([y], inputs: xs, xs.map { _ in rng.tensor([2]) }, options: fusion, tol: 1e-15)
  }

  func testGemmName() {
    let gemm = Op.gemm(Gemm(transposeA: true, alpha: 2, beta: 1))
    XCTAssertEqual(gemm.name, "gemm{AᵀB,α=2,β=1}")
  }
}
