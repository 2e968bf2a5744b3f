import Codegen
import Foundation
import TestSupport
import XCTest

/// The RNG through graph nodes: randomUniform, randomNormal, bernoulli, categorical and foldIn give
/// the streams of docs/random.md (checked bit for bit against Runtime's Random and against
/// Philox.block computed here), and their moments and frequencies are right.
final class RandomOpTests: XCTestCase {
  let seed: UInt64 = 42
  var key: RandomKey { RandomKey(seed: seed) }

  /// The Philox words of element `i` under `key`, from the block function directly.
  func words(_ key: RandomKey, _ i: Int) -> (UInt32, UInt32, UInt32, UInt32) {
    Philox.block(
      key: (key.k0, key.k1), counter: (UInt32(truncatingIfNeeded: i), UInt32(truncatingIfNeeded: i >> 32), 0, 0))
  }

  func uniform32(_ key: RandomKey, _ i: Int) -> Float { Float(words(key, i).0 >> 8) * 0x1p-24 }

  func uniform64(_ key: RandomKey, _ i: Int) -> Double {
    let w = words(key, i)
    return Double(((UInt64(w.0) << 32) | UInt64(w.1)) >> 11) * 0x1p-53
  }

  func normal64(_ key: RandomKey, _ i: Int) -> Double {
    let w = words(key, i)
    let u1 = (Double(w.0) + 1) * 0x1p-32
    let u2 = Double(w.1) * 0x1p-32
    return Foundation.sqrt(-2 * Foundation.log(u1)) * Foundation.cos(2 * Double.pi * u2)
  }

  func testUniformAndNormalStreamsMatchTheSpecification() throws {
    let k = randomKey(seed: seed)
    let outs = try evaluate([
      randomUniform(k, shape: [2, 3]), randomUniform(k, shape: [2, 3], dtype: .float64),
      randomNormal(k, shape: [2, 3], dtype: .float64), randomNormal(k, shape: [6]),
    ])
    // Against Runtime's Random (bit for bit).
    XCTAssertEqual(outs[0], Random.uniform(key: key, shape: [2, 3], dtype: .float32))
    XCTAssertEqual(outs[1], Random.uniform(key: key, shape: [2, 3], dtype: .float64))
    XCTAssertEqual(outs[2], Random.normal(key: key, shape: [2, 3], dtype: .float64))
    XCTAssertEqual(outs[3], Random.normal(key: key, shape: [6], dtype: .float32))
    // Against Philox.block directly.
    let u32 = outs[0].array(Float.self)
    let u64 = outs[1].array(Double.self)
    let n64 = outs[2].array(Double.self)
    let n32 = outs[3].array(Float.self)
    for i in 0..<6 {
      XCTAssertEqual(u32[i], uniform32(key, i), "uniform32 \(i)")
      XCTAssertEqual(u64[i], uniform64(key, i), "uniform64 \(i)")
      XCTAssertEqual(n64[i], normal64(key, i), "normal64 \(i)")
      XCTAssertEqual(n32[i], Float(normal64(key, i)), "normal32 \(i)")
    }
    // The first values tabulated in docs/random.md (key 42).
    XCTAssertEqual(words(key, 0).0, 0x9cea_f053)
    XCTAssertEqual(u32.prefix(4).map(\.bitPattern), [0x3f1c_eaf0, 0x3f7c_db21, 0x3f53_6c02, 0x3f3a_c704])
    XCTAssertEqual(
      u64.prefix(4).map(\.bitPattern),
      [0x3fe3_9d5e_0a6e_fea9, 0x3fef_9b64_24ea_774d, 0x3fea_6d80_44b5_10eb, 0x3fe7_58e0_8eb5_75e1])
    XCTAssertEqual(
      n64.prefix(4).map(\.bitPattern),
      [0xbfef_0bcb_7534_294b, 0xbfb2_bc05_f782_73bb, 0xbfd5_90c8_7473_9898, 0xbfd8_4d9d_7b77_31e2])
    XCTAssertEqual(n32.prefix(4).map(\.bitPattern), [0xbf78_5e5c, 0xbd95_e030, 0xbeac_8644, 0xbec2_6cec])
  }

  func testRangesMeansAndStdsFollowTheSpecification() throws {
    let k = randomKey(seed: seed)
    for dtype: DType in [.float32, .float64] {
      let outs = try evaluate([
        randomUniform(k, shape: [50], dtype: dtype, low: 0.1, high: 0.7),
        randomUniform(k, shape: [50], dtype: dtype, low: -0.08, high: 0.08),
        randomNormal(k, shape: [50], dtype: dtype, mean: 0.3, std: 0.7),
      ])
      XCTAssertEqual(outs[0], Random.uniform(key: key, shape: [50], dtype: dtype, low: 0.1, high: 0.7), "\(dtype)")
      XCTAssertEqual(outs[1], Random.uniform(key: key, shape: [50], dtype: dtype, low: -0.08, high: 0.08), "\(dtype)")
      XCTAssertEqual(outs[2], Random.normal(key: key, shape: [50], dtype: dtype, mean: 0.3, std: 0.7), "\(dtype)")
      // By the formulas: low + (high - low) * u in the dtype; mean + std * z in Double, rounded once.
      for i in 0..<5 {
        if dtype == .float32 {
          let (lo, hi) = (Float(0.1), Float(0.7))
          XCTAssertEqual(Float(outs[0].doubles[i]), lo + (hi - lo) * uniform32(key, i))
          XCTAssertEqual(Float(outs[2].doubles[i]), Float(0.3 + 0.7 * normal64(key, i)))
        } else {
          XCTAssertEqual(outs[0].doubles[i], 0.1 + (0.7 - 0.1) * uniform64(key, i))
          XCTAssertEqual(outs[2].doubles[i], 0.3 + 0.7 * normal64(key, i))
        }
      }
      XCTAssertTrue(outs[0].doubles.allSatisfy { $0 >= Double(Float(0.1)) - 1e-7 && $0 < 0.7 })
    }
  }

  func testShapesFromOtherVariablesAndKeysFromInputs() throws {
    let x = input("x", .float32, ["B", 3])
    let seedKey = input("key", .int32, [2])
    let draw = randomNormal(seedKey, shape: [.dim(x, 0), 4])
    XCTAssertEqual(draw.shape, ["B", 4])
    let f = try compile(inputs: [x, seedKey], outputs: [draw])
    for (b, s) in [(2, UInt64(1)), (5, UInt64(0xDEAD_BEEF_0000_0007))] {
      let out = try f(Tensor.zeros(.float32, [b, 3]), RandomKey(seed: s).tensor)[0]
      XCTAssertEqual(out, Random.normal(key: RandomKey(seed: s), shape: [b, 4], dtype: .float32))
    }
    // A key that is not int32[2] is a graph error.
    let bad = randomUniform(constant(Tensor([Int32(1), 2, 3])), shape: [2])
    XCTAssertTrue(bad.failure?.description.contains("int32[2]") ?? false, "\(String(describing: bad.failure))")
  }

  func testFoldInGivesAnotherStream() throws {
    let k = randomKey(seed: seed)
    let step = input("step", .int32, [])
    let folded = foldIn(k, 1)
    let f = try compile(
      inputs: [step],
      outputs: [
        folded, randomUniform(folded, shape: [8]), randomUniform(k, shape: [8]),
        randomUniform(foldIn(k, step), shape: [8]),
      ])
    let outs = try f(Tensor(scalar: Int32(1)))
    // The documented folded key of seed 42 and data 1.
    XCTAssertEqual(outs[0], RandomKey(k0: 0x1f85_8d22, k1: 0x5a93_6ff5).tensor)
    XCTAssertEqual(RandomKey(tensor: outs[0]), key.fold(1))
    // fold(d): the block with counter (lo32(d), hi32(d), 0, 1), first two words.
    let w = Philox.block(key: (key.k0, key.k1), counter: (1, 0, 0, 1))
    XCTAssertEqual(RandomKey(tensor: outs[0]), RandomKey(k0: w.0, k1: w.1))
    XCTAssertEqual(outs[1], Random.uniform(key: key.fold(1), shape: [8]))
    XCTAssertNotEqual(outs[1], outs[2])
    XCTAssertEqual(outs[3], outs[1], "foldIn with a data input equals foldIn with the constant")
    // Each step gives its own stream; the same step the same one.
    let s2 = try f(Tensor(scalar: Int32(2)))[3]
    let s1 = try f(Tensor(scalar: Int32(1)))[3]
    XCTAssertNotEqual(s2, s1)
    XCTAssertEqual(s1, outs[1])
    XCTAssertEqual(s2, Random.uniform(key: key.fold(2), shape: [8]))
    // A negative int32 folds its 32-bit pattern.
    let neg = try f(Tensor(scalar: Int32(-1)))[3]
    XCTAssertEqual(neg, Random.uniform(key: key.fold(0xFFFF_FFFF), shape: [8]))
  }

  func testUniformAndNormalMoments() throws {
    let n = 20_000
    let k = randomKey(seed: 7)
    let outs = try evaluate([
      randomUniform(k, shape: [.n(n)]), randomNormal(foldIn(k, 1), shape: [100, 200], dtype: .float64),
      randomUniform(foldIn(k, 2), shape: [.n(n)], dtype: .float64, low: -2, high: 6),
      randomNormal(foldIn(k, 3), shape: [.n(n)], mean: 2, std: 3),
    ])
    func moments(_ v: [Double]) -> (mean: Double, variance: Double) {
      let m = v.reduce(0, +) / Double(v.count)
      return (m, v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1))
    }
    let sq = 1 / Double(n).squareRoot()
    let u = outs[0].doubles
    XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
    let mu = moments(u)
    // Within 4 standard errors: sd of a U(0,1) mean is sqrt(1/12)/sqrt(n); of its variance about 0.0745/sqrt(n).
    XCTAssertEqual(mu.mean, 0.5, accuracy: 4 * (1.0 / 12).squareRoot() * sq)
    XCTAssertEqual(mu.variance, 1.0 / 12, accuracy: 4 * 0.0745 * sq)
    let mn = moments(outs[1].doubles)
    XCTAssertEqual(outs[1].shape, [100, 200])
    XCTAssertEqual(mn.mean, 0, accuracy: 4 * sq)
    XCTAssertEqual(mn.variance, 1, accuracy: 4 * 2.0.squareRoot() * sq)
    let w = outs[2].doubles
    XCTAssertTrue(w.allSatisfy { $0 >= -2 && $0 < 6 })
    let mw = moments(w)
    XCTAssertEqual(mw.mean, 2, accuracy: 4 * 8 * (1.0 / 12).squareRoot() * sq)
    XCTAssertEqual(mw.variance, 64.0 / 12, accuracy: 4 * 64 * 0.0745 * sq)
    let ms = moments(outs[3].doubles)
    XCTAssertEqual(ms.mean, 2, accuracy: 4 * 3 * sq)
    XCTAssertEqual(ms.variance, 9, accuracy: 4 * 9 * 2.0.squareRoot() * sq)
    // The fraction of a standard normal within one sd.
    let within = outs[1].doubles.filter { Swift.abs($0) < 1 }.count
    XCTAssertEqual(Double(within) / Double(n), 0.6827, accuracy: 4 * (0.6827 * 0.3173).squareRoot() * sq)
  }

  func testBernoulli() throws {
    let k = randomKey(seed: 11)
    let p = input("p", .float64, ["N"])
    let f = try compile(inputs: [p], outputs: [bernoulli(k, p), bernoulli(k, p.cast(.float32))])
    let pv = (0..<10).map { Double($0) / 9 }
    let outs = try f(tensor([10], pv))
    XCTAssertEqual(outs[0].dtype, .bool)
    XCTAssertEqual(outs[0], Random.bernoulli(key: RandomKey(seed: 11), probabilities: tensor([10], pv)))
    // By the formula: uniform64(i) < p[i].
    let expected = (0..<10).map { uniform64(RandomKey(seed: 11), $0) < pv[$0] }
    XCTAssertEqual(outs[0].array(Bool.self), expected)
    XCTAssertEqual(outs[0].array(Bool.self).first, false, "p = 0 is never true")
    XCTAssertEqual(outs[0].array(Bool.self).last, true, "p = 1 is always true")
    // float32 probabilities are converted to Double first.
    XCTAssertEqual(outs[1], Random.bernoulli(key: RandomKey(seed: 11), probabilities: tensor([10], pv, .float32)))

    // Frequencies.
    let n = 20_000
    let freq = try f(tensor([n], [Double](repeating: 0.3, count: n)))[0].doubles.reduce(0, +) / Double(n)
    XCTAssertEqual(freq, 0.3, accuracy: 4 * (0.3 * 0.7 / Double(n)).squareRoot())
    // Frequencies through graph arithmetic on the bool result: mean(cast(bernoulli)).
    let q = bernoulli(foldIn(k, 5), constant(Tensor.filled(0.8, dtype: .float64, shape: [n])))
    let m = try evaluate1(mean(q.cast(.float64)))
    XCTAssertEqual(m.scalarValue, 0.8, accuracy: 4 * (0.8 * 0.2 / Double(n)).squareRoot())
  }

  func testCategorical() throws {
    let k = randomKey(seed: 13)
    let probs = input("probs", .float64, ["R", 4])
    let f = try compile(inputs: [probs], outputs: [categorical(k, probs)])
    let weights = [1.0, 0, 3, 4]
    let rows = 5
    let pv = tensor([rows, 4], Array([[Double]](repeating: weights, count: rows).joined()))
    let out = try f(pv)[0]
    XCTAssertEqual(out.dtype, .int32)
    XCTAssertEqual(out.shape, [rows])
    XCTAssertEqual(out, Random.categorical(key: RandomKey(seed: 13), probabilities: pv))
    // By the formula: count of j < K-1 with cumsum(p)[j] < u * total.
    for n in 0..<rows {
      let target = uniform64(RandomKey(seed: 13), n) * 8
      var running = 0.0
      var count = 0
      for j in 0..<3 {
        running += weights[j]
        if running < target { count += 1 }
      }
      XCTAssertEqual(Int(out.doubles[n]), count, "row \(n)")
    }
    // Frequencies follow the normalised weights; a zero weight is never drawn.
    let n = 20_000
    let many = try f(tensor([n, 4], Array([[Double]](repeating: weights, count: n).joined())))[0].doubles
    for (j, w) in weights.enumerated() {
      let freq = Double(many.filter { $0 == Double(j) }.count) / Double(n)
      let p = w / 8
      XCTAssertEqual(freq, p, accuracy: 4 * (p * (1 - p) / Double(n)).squareRoot() + 1e-12, "category \(j)")
    }
    // A batch axis: [2, 3, K] gives [2, 3].
    let p3 = input("p3", .float32, [2, 3, 2])
    let o3 = try evaluate1(
      categorical(k, p3), [p3], [tensor([2, 3, 2], [1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1], .float32)])
    assertTensor(o3, .int32, [2, 3], [0, 1, 0, 1, 0, 1])
    // Negative weights are a run-time error.
    assertThrows(["categorical", "nonnegative"]) { try f(tensor([1, 4], [1, -1, 0, 0])) }
  }
}
