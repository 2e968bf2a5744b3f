import Codegen
import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// The handwriting synthesis network (Graves, section 5) against the team's float64 JAX oracle
/// (Fixtures/synthesis_oracle_tiny.h5: L=3, D=8, K=2, M=3, B=3, T=15, U=5, A=7, padded strokes and
/// texts whose padding holds random values): cost, per-step NLL, every gradient, the window's trace
/// and the parameters after one clipped Adam step, to 1e-9 relative on both backends; and the
/// gradient checker on the whole cost.
final class SynthesisCostTests: XCTestCase {
  static let (L, D, K, M, A) = (3, 8, 2, 3, 7)
  static let oracleNames =
    (0..<3).flatMap { ["lstm\($0)_W", "lstm\($0)_U", "lstm\($0)_b"] } + ["window_W", "window_b", "out_W", "out_b"]

  func oracle() throws -> [String: Tensor] {
    let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    let f = try HDF5File.open(dir.appendingPathComponent("synthesis_oracle_tiny.h5").path)
    defer { try? f.close() }
    var out: [String: Tensor] = [:]
    for n in try f.members() { out[n] = try f.read(n) }
    return out
  }

  func model(_ variables: [Var]) -> SynthesisModel {
    SynthesisModel(
      depth: Self.L, dim: Self.D, window: Self.K, mixture: Self.M, alphabet: Self.A, epsilon: 1e-5,
      variables: variables)
  }

  /// Relative agreement: max |a - b| / max |b| over the tensor.
  func assertAgrees(_ a: Tensor, _ b: Tensor, _ what: String, tol: Double = 1e-9, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
    let scale = b.doubles.map { Swift.abs($0) }.max() ?? 0
    let err = zip(a.doubles, b.doubles).map { Swift.abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(err, tol * Swift.max(scale, 1e-300), "\(what): max |diff| \(err), max |ref| \(scale)", file: file, line: line)
  }

  func testCostGradientsWindowAndAdamStepMatchTheOracle() throws {
    let o = try oracle()
    for mode: Mode in [.interpreter, .native] {
      let params = Self.oracleNames.map { shared(o[$0]!, name: $0) }
      let x = input("x", .float64, ["T1", "B", 3])
      let mask = input("mask", .float64, ["T", "B"])
      let chars = input("chars", .int32, ["B", "U"])
      let cmask = input("cmask", .float64, ["B", "U"])
      let m = model(params)
      let r = m.cost(strokes: x, mask: mask, chars: chars, cmask: cmask)
      let grads = try grad(r.cost, wrt: params)
      let f = try compile(inputs: [x, mask, chars, cmask], outputs: [r.cost, r.nll] + grads, mode: mode)
      XCTAssertEqual(f.backend, mode == .native ? .native : .interpreter)
      let out = try f(o["x"]!, o["mask"]!, o["chars"]!, o["cmask"]!)
      assertAgrees(out[0], o["cost"]!, "cost (\(mode))")
      // The scan freezes the carries on padded steps (the reference runs through them): the NLL
      // agrees on valid steps, and the cost and gradients, which count only those, agree exactly.
      let valid = o["mask"]!.doubles
      assertAgrees(
        Tensor(shape: [valid.count], zip(out[1].doubles, valid).map { $0 * $1 }),
        Tensor(shape: [valid.count], zip(o["nll"]!.doubles, valid).map { $0 * $1 }), "nll (\(mode))")
      for (k, name) in Self.oracleNames.enumerated() { assertAgrees(out[2 + k], o["grad.\(name)"]!, "grad \(name) (\(mode))") }

      // Without the stroke mask the recurrence runs through the padding as the reference's: every step
      // of the NLL and of the window's trace agrees.
      let u = m.cost(strokes: x, mask: nil, chars: chars, cmask: cmask)
      let g = try compile(inputs: [x, chars, cmask], outputs: [u.nll, u.phi, u.kappa, u.w], mode: mode)
      let trace = try g(o["x"]!, o["chars"]!, o["cmask"]!)
      assertAgrees(trace[0], o["nll"]!, "unmasked nll (\(mode))")
      assertAgrees(trace[1], o["phi"]!, "phi (\(mode))")
      assertAgrees(trace[2], o["kappa"]!, "kappa (\(mode))")
      assertAgrees(trace[3], o["w"]!, "w (\(mode))")

      // One training step: clip at global norm 10, then Adam (lr 1e-3).
      let (clipped, norm) = clipByGlobalNorm(grads, maxNorm: 10)
      let adam = try stepUpdates(.adam(learningRate: 1e-3), parameters: params, gradients: clipped)
      let train = try compile(inputs: [x, mask, chars, cmask], outputs: [norm], updates: adam.updates, mode: mode)
      let n = try train(o["x"]!, o["mask"]!, o["chars"]!, o["cmask"]!)[0]
      assertAgrees(n, o["grad_norm"]!, "gradient norm (\(mode))")
      for (p, name) in zip(params, Self.oracleNames) {
        assertAgrees(p.sharedVariable!.value, o["param_after_step.\(name)"]!, "\(name) after one step (\(mode))")
      }
    }
  }

  /// The gradient checker (central differences) on the whole synthesis cost, with respect to every
  /// parameter, at the oracle's point.
  func testGradientCheckerPassesOnTheWholeCost() throws {
    let o = try oracle()
    let data = [o["x"]!, o["mask"]!, o["chars"]!, o["cmask"]!]
    try checkGradient(at: Self.oracleNames.map { o[$0]! }, names: Self.oracleNames) { v in
      let x = constant(data[0])
      return model(v).cost(strokes: x, mask: constant(data[1]), chars: constant(data[2]), cmask: constant(data[3])).cost
    }
  }

  /// The oracle's two sampler cases (the same noise as input): the same strokes, stop steps and window
  /// trace, unprimed and primed, on both backends.
  func testSamplerMatchesTheOracleUnprimedAndPrimed() throws {
    let o = try oracle()
    for mode: Mode in [.interpreter, .native] {
      for case_ in ["sample", "sample_primed"] {
        let params = Self.oracleNames.map { shared(o[$0]!, name: $0) }
        let chars = input("chars", .int32, ["B", "U"])
        let cmask = input("cmask", .float64, ["B", "U"])
        let noise = input("noise", .float64, ["S", "B", 4])
        let bias = input("bias", .float64, ["B"])
        let primed = case_ == "sample_primed"
        let px = input("prime", .float64, ["P", "B", 3])
        let plen = input("primeLength", .int32, ["B"])
        let r = model(params).sampler(chars: chars, cmask: cmask, noise: noise, bias: bias, prime: primed ? (px, plen) : nil)
        let f = try compile(
          inputs: [chars, cmask, noise, bias] + (primed ? [px, plen] : []), outputs: [r.strokes, r.stopStep, r.phi, r.kappa],
          mode: mode)
        let B = o["\(case_).chars"]!.shape[0]
        var args = [
          o["\(case_).chars"]!, o["\(case_).cmask"]!, o["\(case_).noise"]!,
          Tensor(shape: [B], [Double](repeating: o["\(case_).bias"]!.scalarValue, count: B)),
        ]
        if primed { args += [o["sample_primed.prime_x"]!, o["sample_primed.prime_len"]!] }
        let out = try f.call(args)
        XCTAssertEqual(out[1].array(Int32.self), o["\(case_).stop_step"]!.array(Int32.self), "\(case_) stop steps (\(mode))")
        assertAgrees(out[0], o["\(case_).strokes"]!, "\(case_) strokes (\(mode))")
        assertAgrees(out[2], o["\(case_).phi"]!, "\(case_) phi (\(mode))")
        assertAgrees(out[3], o["\(case_).kappa"]!, "\(case_) kappa (\(mode))")
      }
    }
  }

  /// Scan fission splits the synthesis network's loop as Graves' structure allows: layer 0 with the
  /// window (a recurrence of their own), then each later layer, which reads their per-step values;
  /// forward and gradient loops alike, with the same values (the test above runs the pipeline too).
  func testScanFissionSplitsTheNetworkIntoOneLoopPerLayer() throws {
    let o = try oracle()
    let params = Self.oracleNames.map { shared(o[$0]!, name: $0) }
    let x = input("x", .float64, ["T1", "B", 3])
    let mask = input("mask", .float64, ["T", "B"])
    let chars = input("chars", .int32, ["B", "U"])
    let cmask = input("cmask", .float64, ["B", "U"])
    let r = model(params).cost(strokes: x, mask: mask, chars: chars, cmask: cmask)
    let f = try compile(inputs: [x, mask, chars, cmask], outputs: [r.cost] + (try grad(r.cost, wrt: params)))
    XCTAssertEqual(f.optimization.hits("split loops"), 4, "forward: 3 loops from 1; gradient: 3 from 1")
    var loops = 0
    for n in f.optimizedGraph.nodes { if case .scan = n.op { loops += 1 } }
    XCTAssertEqual(loops, 6)
    // Products per step in each loop: the later layers' input products `[x, hˡ⁻¹, w] · W` are batched
    // over all steps before their loops, leaving h · U.
    var products: [Int] = []
    for n in f.optimizedGraph.nodes {
      guard case .scan(let spec) = n.op else { continue }
      products.append(spec.bodyGraph.nodes.filter { if case .matmul = $0.op { true } else if case .gemm = $0.op { true } else { false } }.count)
    }
    XCTAssertEqual(products, [3, 1, 1, 1, 1, 3], "layer 0 + window: its two products and the window's; layers 1, 2: h · U")
  }
}
