import Foundation
import SketchRuntime
import XCTest

/// Checks Philox-4x32-10 against published vectors and the random streams against their specification.
final class RuntimeRandomTests: XCTestCase {
  // MARK: Philox known answers

  /// Random123 known-answer vectors for philox4x32 with 10 rounds: counter (4 words), key (2 words),
  /// expected output (4 words).
  ///
  /// The first three are the "philox4x32 10" lines of Random123's `kat_vectors` (D. E. Shaw Research,
  /// random123, tests/kat_vectors); the same lines appear verbatim in the girving/random123-manual
  /// repository, examples/kat_vectors (commit 61e8479252c42f0f8c0490dec55237d7c01bf509), and in the test
  /// tables of other implementations (e.g. Boost.Random's test_philox and E. Sarmas' philox.py). The
  /// last three are from the generated section of girving/random123-manual examples/kat_vectors
  /// (the lines for counter (1,0,0,0) key (1,0), counter pi key (0,1), counter pi key (0,ffffffff)).
  private let vectors: [(ctr: [UInt32], key: [UInt32], out: [UInt32])] = [
    ([0, 0, 0, 0], [0, 0], [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]),
    (
      [0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff], [0xffff_ffff, 0xffff_ffff],
      [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
    ),
    (
      [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0xa409_3822, 0x299f_31d0],
      [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
    ),
    ([1, 0, 0, 0], [1, 0], [0xac08_141b, 0xdfc5_ccbe, 0x79c0_7a47, 0xa7f6_6093]),
    (
      [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0, 1],
      [0x1265_14c3, 0xd189_8b69, 0xda27_07b3, 0x6e6f_b436]
    ),
    (
      [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0, 0xffff_ffff],
      [0x08f7_720c, 0x845e_e9e0, 0x502c_cd3d, 0xa9a0_0e27]
    ),
  ]

  func testPhiloxKnownAnswerVectors() {
    for v in vectors {
      let w = Philox.block(
        key: (v.key[0], v.key[1]), counter: (v.ctr[0], v.ctr[1], v.ctr[2], v.ctr[3]))
      XCTAssertEqual([w.0, w.1, w.2, w.3], v.out, "counter \(v.ctr) key \(v.key)")
    }
  }

  // MARK: Keys

  func testKeyFromSeedAndTensorRoundTrip() {
    let key = RandomKey(seed: 0xFFFF_FFFF_8000_0001)
    XCTAssertEqual(key.k0, 0x8000_0001)
    XCTAssertEqual(key.k1, 0xFFFF_FFFF)
    XCTAssertEqual(key.tensor, Tensor(shape: [2], [-2_147_483_647, -1] as [Int32]))
    XCTAssertEqual(RandomKey(tensor: key.tensor), key)
  }

  func testFoldFollowsSpecAndSeparatesData() {
    let key = RandomKey(seed: 0x0123_4567_89AB_CDEF)
    let data: UInt64 = 0x0000_0005_0000_0007
    let w = Philox.block(key: (0x89AB_CDEF, 0x0123_4567), counter: (7, 5, 0, 1))
    XCTAssertEqual(key.fold(data), RandomKey(k0: w.0, k1: w.1))
    let folded = Set((0..<1000).map { key.fold(UInt64($0)) })
    XCTAssertEqual(folded.count, 1000)
    XCTAssertFalse(folded.contains(key))
    XCTAssertNotEqual(key.fold(3), RandomKey(seed: 1).fold(3))
    // A fold never equals the words of a draw with the same key (counter word 3 differs).
    let draw = Random.words(key: key, index: 0)
    XCTAssertNotEqual(key.fold(0), RandomKey(k0: draw.0, k1: draw.1))
  }

  // MARK: Streams, recomputed from the specification

  private let key = RandomKey(seed: 42)

  /// The block of element `i` under `key`, straight from the specification.
  private func block(_ i: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
    Philox.block(key: (42, 0), counter: (UInt32(i & 0xFFFF_FFFF), UInt32(i >> 32), 0, 0))
  }

  func testUniformStreamsMatchSpecification() {
    let f32 = Random.uniform(key: key, shape: [2, 3], dtype: .float32).array(Float.self)
    let f64 = Random.uniform(key: key, shape: [6], dtype: .float64).array(Double.self)
    let scaled = Random.uniform(key: key, shape: [6], dtype: .float32, low: -2, high: 3).array(
      Float.self)
    for i in 0..<6 {
      let w = block(UInt64(i))
      let u32 = Float(w.0 >> 8) / 16_777_216
      XCTAssertEqual(f32[i], u32)
      XCTAssertEqual(scaled[i], Float(-2) + Float(5) * u32)
      let bits = (UInt64(w.0) << 32 | UInt64(w.1)) >> 11
      XCTAssertEqual(f64[i], Double(bits) / 9_007_199_254_740_992)
    }
    // Element indices above 2^32 use the high counter word.
    let big: UInt64 = 0x1_0000_0003
    XCTAssertEqual(Random.uniform32(key: key, index: big), Float(block(big).0 >> 8) / 16_777_216)
  }

  func testNormalStreamMatchesSpecification() {
    let f64 = Random.normal(key: key, shape: [8], dtype: .float64, mean: 1.5, std: 2).array(
      Double.self)
    let f32 = Random.normal(key: key, shape: [8], dtype: .float32, mean: 1.5, std: 2).array(
      Float.self)
    for i in 0..<8 {
      let w = block(UInt64(i))
      let u1 = (Double(w.0) + 1) / 4_294_967_296
      let u2 = Double(w.1) / 4_294_967_296
      let z = sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2)
      XCTAssertEqual(f64[i], 1.5 + 2 * z)
      XCTAssertEqual(f32[i], Float(1.5 + 2 * z))
    }
  }

  /// The first values for key `RandomKey(seed: 42)`, also listed in docs/random.md so that the C
  /// backend can check itself against them. Computed once from the specification (see the tests above)
  /// and frozen here as a regression check.
  func testDocumentedFirstValues() {
    let w = Random.words(key: key, index: 0)
    XCTAssertEqual([w.0, w.1, w.2, w.3], DocumentedValues.words0)
    XCTAssertEqual(
      Random.uniform(key: key, shape: [4], dtype: .float32).array(Float.self).map(\.bitPattern),
      DocumentedValues.uniform32Bits)
    XCTAssertEqual(
      Random.uniform(key: key, shape: [4], dtype: .float64).array(Double.self).map(\.bitPattern),
      DocumentedValues.uniform64Bits)
    XCTAssertEqual(
      Random.normal(key: key, shape: [4], dtype: .float64).array(Double.self).map(\.bitPattern),
      DocumentedValues.normal64Bits)
  }

  // MARK: Distributions

  func testNormalMoments() {
    let n = 200_000
    for dtype in [DType.float64, .float32] {
      let x = Random.normal(key: RandomKey(seed: 7), shape: [n], dtype: dtype).doubles
      let mean = x.reduce(0, +) / Double(n)
      let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
      XCTAssertEqual(mean, 0, accuracy: 0.01, "\(dtype)")
      XCTAssertEqual(variance, 1, accuracy: 0.02, "\(dtype)")
      let shifted = Random.normal(
        key: RandomKey(seed: 8), shape: [n], dtype: dtype, mean: 3, std: 0.5
      ).doubles
      let shiftedMean = shifted.reduce(0, +) / Double(n)
      let shiftedVariance =
        shifted.reduce(0) { $0 + ($1 - shiftedMean) * ($1 - shiftedMean) } / Double(n)
      XCTAssertEqual(shiftedMean, 3, accuracy: 0.005)
      XCTAssertEqual(shiftedVariance, 0.25, accuracy: 0.005)
    }
  }

  func testUniformMomentsAndRange() {
    let n = 200_000
    for dtype in [DType.float32, .float64] {
      let u = Random.uniform(key: RandomKey(seed: 9), shape: [n], dtype: dtype).doubles
      XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
      let mean = u.reduce(0, +) / Double(n)
      let variance = u.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
      XCTAssertEqual(mean, 0.5, accuracy: 0.005)
      XCTAssertEqual(variance, 1.0 / 12, accuracy: 0.002)
      let v = Random.uniform(key: RandomKey(seed: 10), shape: [n], dtype: dtype, low: -3, high: 5)
        .doubles
      XCTAssertTrue(v.allSatisfy { $0 >= -3 && $0 < 5 })
      XCTAssertEqual(v.reduce(0, +) / Double(n), 1, accuracy: 0.04)
    }
    // Different keys give different streams.
    XCTAssertNotEqual(
      Random.uniform(key: RandomKey(seed: 1), shape: [4]),
      Random.uniform(key: RandomKey(seed: 2), shape: [4]))
  }

  func testBernoulliFrequencyAndSpec() {
    let n = 200_000
    let p = Tensor.filled(0.3, dtype: .float32, shape: [n / 100, 100])
    let draw = Random.bernoulli(key: RandomKey(seed: 11), probabilities: p)
    XCTAssertEqual(draw.shape, [n / 100, 100])
    XCTAssertEqual(draw.dtype, .bool)
    let flags = draw.array(Bool.self)
    XCTAssertEqual(Double(flags.filter { $0 }.count) / Double(n), 0.3, accuracy: 0.005)
    // Element i compares uniform64(i) with p[i] converted to Double (p = Float(0.3) here).
    for i in 0..<50 {
      let w = Philox.block(key: (11, 0), counter: (UInt32(i), 0, 0, 0))
      let u = Double((UInt64(w.0) << 32 | UInt64(w.1)) >> 11) * 0x1p-53
      XCTAssertEqual(flags[i], u < Double(Float(0.3)))
    }
    let edges = Random.bernoulli(
      key: RandomKey(seed: 12), probabilities: Tensor([0, 1, 0, 1] as [Double]))
    XCTAssertEqual(edges.array(Bool.self), [false, true, false, true])
  }

  func testCategoricalFrequencies() {
    let rows = 100_000
    let probs = [0.1, 0.2, 0.7]
    let p = Tensor(shape: [rows, 3], (0..<rows).flatMap { _ in probs })
    let draw = Random.categorical(key: RandomKey(seed: 13), probabilities: p)
    XCTAssertEqual(draw.shape, [rows])
    XCTAssertEqual(draw.dtype, .int32)
    let counts = draw.array(Int32.self).reduce(into: [0, 0, 0]) { $0[Int($1)] += 1 }
    for j in 0..<3 { XCTAssertEqual(Double(counts[j]) / Double(rows), probs[j], accuracy: 0.01) }

    // An unnormalised row with a zero weight: frequencies 2/8, 0, 6/8; category 1 never appears.
    let weights: [Float] = [2, 0, 6]
    let q = Tensor(shape: [rows, 3], (0..<rows).flatMap { _ in weights })
    let counts2 = Random.categorical(key: RandomKey(seed: 14), probabilities: q).array(Int32.self)
      .reduce(into: [0, 0, 0]) { $0[Int($1)] += 1 }
    XCTAssertEqual(Double(counts2[0]) / Double(rows), 0.25, accuracy: 0.01)
    XCTAssertEqual(counts2[1], 0)
    XCTAssertEqual(Double(counts2[2]) / Double(rows), 0.75, accuracy: 0.01)
  }

  func testCategoricalSpecAndShapes() {
    // Row n uses uniform64(n); the result counts running sums below u * total (at most K - 1).
    let weights: [Double] = [0.5, 1.5, 1, 1]
    let p = Tensor(shape: [2, 3, 4], (0..<6).flatMap { _ in weights })
    let draw = Random.categorical(key: RandomKey(seed: 15), probabilities: p)
    XCTAssertEqual(draw.shape, [2, 3])
    for (n, value) in draw.array(Int32.self).enumerated() {
      let w = Philox.block(key: (15, 0), counter: (UInt32(n), 0, 0, 0))
      let target = Double((UInt64(w.0) << 32 | UInt64(w.1)) >> 11) * 0x1p-53 * 4
      let expected = [0.5, 2.0, 3.0].filter { $0 < target }.count
      XCTAssertEqual(Int(value), expected)
    }
    // A single category always gives 0; a rank-1 input gives a scalar.
    let single = Random.categorical(key: key, probabilities: Tensor([3.0]))
    XCTAssertEqual(single.shape, [])
    XCTAssertEqual(single.scalarValue, 0)
  }
}

/// Frozen first values of the streams for `RandomKey(seed: 42)` (see docs/random.md).
private enum DocumentedValues {
  /// Philox words of element 0.
  static let words0: [UInt32] = [0x9cea_f053, 0x77f5_493b, 0x12bf_50ad, 0x5742_b3d7]
  /// 0.61295986, 0.98771864, 0.8258668, 0.72959924
  static let uniform32Bits: [UInt32] = [0x3f1c_eaf0, 0x3f7c_db21, 0x3f53_6c02, 0x3f3a_c704]
  /// 0.6129598811894158, 0.9877186509145105, 0.8258668271960493, 0.7295992648393473
  static let uniform64Bits: [UInt64] = [
    0x3fe3_9d5e_0a6e_fea9, 0x3fef_9b64_24ea_774d, 0x3fea_6d80_44b5_10eb, 0x3fe7_58e0_8eb5_75e1,
  ]
  /// -0.9701897896896211, -0.07318150799478833, -0.336961854669775, -0.379737253734474
  static let normal64Bits: [UInt64] = [
    0xbfef_0bcb_7534_294b, 0xbfb2_bc05_f782_73bb, 0xbfd5_90c8_7473_9898, 0xbfd8_4d9d_7b77_31e2,
  ]
}
