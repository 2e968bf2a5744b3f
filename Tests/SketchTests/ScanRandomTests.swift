import Codegen
import Foundation
import TestSupport
import XCTest

// Random draws inside scan: a sampling loop keyed by (seed, step, draw) is reproducible, depends on the
// seed, and draws exactly what Runtime's Random gives for RandomKey(seed:).fold(t).fold(draw).

final class ScanRandomTests: XCTestCase {
  let B = 2, K = 3, N = 6
  let probs = Tensor(shape: [2, 3], [0.2, 0.5, 0.3, 0.6, 0.1, 0.3])
  let offsets = Tensor(shape: [3, 2], [1.0, 0.0, 0.0, 1.0, -1.0, -1.0])
  let penP = Tensor(shape: [2], [0.3, 0.7])

  /// A sampling scan: no sequences, a position carry; each step draws a normal offset (draw 0), a
  /// mixture component (draw 1) and a pen flag (draw 2) from foldIn(foldIn(key, t), draw).
  private func sampler(_ key: Var) -> ScanResult {
    let probs = constant(probs)
    let offsets = constant(offsets)
    let penP = constant(penP)
    return scan(steps: N, carries: ["pos": constant(Tensor.zeros(.float64, [B, 2]))]) { s in
      let k = foldIn(key, s.index)
      let z = randomNormal(foldIn(k, 0), shape: [.n(B), .n(2)], dtype: .float64)
      let comp = categorical(foldIn(k, 1), probs)
      let pen = bernoulli(foldIn(k, 2), penP)
      let d = z * 0.1 + take(offsets, comp)
      return ScanStepResult(carries: ["pos": s["pos"] + d], outputs: ["z": z, "comp": comp, "pen": pen, "d": d])
    }
  }

  private func strokes(_ r: ScanResult) -> [Var] { [r["d"], r["pen"], r["z"], r["comp"], r.final["pos"]] }

  /// A fixed seed gives the same strokes on every compile and every call; another seed gives others.
  func testSamplingIsReproducibleAndSeedDependent() throws {
    func run(seed: UInt64) throws -> [[Double]] {
      let f = try compile(inputs: [], outputs: strokes(sampler(randomKey(seed: seed))))
      return try f.call([]).map(\.doubles)
    }
    let a = try run(seed: 7)
    let b = try run(seed: 7)
    XCTAssertEqual(a, b, "two graphs, two compiles, same seed")
    // One compiled function called twice.
    let f = try compile(inputs: [], outputs: strokes(sampler(randomKey(seed: 7))))
    XCTAssertEqual(try f.call([]).map(\.doubles), try f.call([]).map(\.doubles))
    XCTAssertEqual(try f.call([]).map(\.doubles), a)
    let c = try run(seed: 8)
    XCTAssertNotEqual(a[0], c[0], "another seed, other offsets")
    XCTAssertNotEqual(a[2], c[2], "another seed, other normal draws")

    // The key as an argument: one function, different seeds.
    let key = input("key", .int32, [2])
    let g = try compile(inputs: [key], outputs: strokes(sampler(key)))
    let g7 = try g.call([RandomKey(seed: 7).tensor]).map(\.doubles)
    XCTAssertEqual(g7, a, "randomKey(seed: 7) and an argument holding RandomKey(seed: 7) agree")
    XCTAssertEqual(try g.call([RandomKey(seed: 8).tensor]).map(\.doubles), c)
    XCTAssertEqual(try g.call([RandomKey(seed: 7).tensor]).map(\.doubles), g7)
  }

  /// The draws at step t are Runtime's draws for RandomKey(seed:).fold(t).fold(draw), computed directly.
  func testDrawsEqualRuntimeRandomWithFoldedKeys() throws {
    let seed: UInt64 = 0x1234_5678_9ABC
    let out = try evaluate(strokes(sampler(randomKey(seed: seed))))
    XCTAssertEqual(out[0].shape, [N, B, 2])
    XCTAssertEqual(out[1].dtype, .bool)
    XCTAssertEqual(out[3].dtype, .int32)
    XCTAssertEqual(out[3].shape, [N, B])
    var pos = [Double](repeating: 0, count: B * 2)
    var zs: [[Double]] = []
    var comps: [Double] = []
    var pens: [Double] = []
    for t in 0..<N {
      let kt = RandomKey(seed: seed).fold(UInt64(t))
      let z = Random.normal(key: kt.fold(0), shape: [B, 2], dtype: .float64).doubles
      let comp = Random.categorical(key: kt.fold(1), probabilities: probs).array(Int32.self)
      let pen = Random.bernoulli(key: kt.fold(2), probabilities: penP).doubles
      zs.append(z)
      comps += comp.map(Double.init)
      pens += pen
      for b in 0..<B {
        for j in 0..<2 { pos[b * 2 + j] += z[b * 2 + j] * 0.1 + offsets.doubles[Int(comp[b]) * 2 + j] }
      }
    }
    XCTAssertEqual(out[2].doubles, zs.flatMap { $0 }, "normal draws bit for bit")
    XCTAssertEqual(out[3].doubles, comps, "categorical draws")
    XCTAssertEqual(out[1].doubles, pens, "bernoulli draws")
    assertTensor(out[4], .float64, [B, 2], pos, tol: 1e-12, atol: 1e-14)
    // The fold order matters: fold(0).fold(t) is a different stream.
    XCTAssertNotEqual(
      Random.normal(key: RandomKey(seed: seed).fold(0).fold(1), shape: [B, 2], dtype: .float64).doubles, zs[1])
    // Each step draws differently, and the draws vary across components.
    XCTAssertNotEqual(zs[0], zs[1])
    XCTAssertGreaterThan(Set(comps).count, 1)
    XCTAssertGreaterThan(Set(pens).count, 1)
  }

  /// Reparameterised noise inside a recurrence: the backward loop (also when it recomputes the step)
  /// sees the same draws as the forward loop, so the gradient matches finite differences.
  func testGradientThroughNoisyRecurrence() throws {
    let H = 3
    let T = 4
    let pts = [
      ScanFixtures.rnd([T, B, H], 1, std: 1), ScanFixtures.rnd([H, H], 2), ScanFixtures.rnd([B, H], 3),
      Tensor(scalar: 0.3),
    ]
    for policy in [ScanPolicy.store, .storeAll, .recompute] {
      do {
        try checkGradient(at: pts, names: ["xs", "U", "h0", "sigma"]) { v in
          let key = randomKey(seed: 99)
          let r = scan(sequences: ["x": v[0]], carries: ["h": v[2]], policy: policy) { s in
            let z = randomNormal(foldIn(foldIn(key, s.index), 0), shape: [.n(B), .n(H)], dtype: .float64)
            let h = tanh(s["x"] + matmul(s["h"], v[1]) + v[3] * z)
            return ScanStepResult(carries: ["h": h], outputs: ["h": h])
          }
          return r["h"]
        }
      } catch {
        XCTFail("noisy recurrence, \(policy): \(error)")
      }
    }
  }
}
