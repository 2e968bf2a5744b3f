import Codegen
import Foundation
import XCTest

@testable import Sketch

/// The handwriting sampler (LSTM and GRU, two layers, the mixture sampled with Philox draws) gives
/// the same strokes, bit for bit, on the native backend and the interpreter: both compute float32
/// exp, tanh, sigmoid and log with the same operations, short products with the same loop, and the
/// same random streams.
final class SamplerBackendsTests: XCTestCase {
  func strokes(_ config: ModelConfig, mode: Mode) throws -> [Float] {
    let model = HandwritingModel(config: config, seed: 3)
    let key = input("key", .int32, [2])
    let bias = input("bias", .float32, [])
    let f = try compile(
      inputs: [key, bias], outputs: [model.sampler(key: key, steps: 40, batch: 3, bias: bias)], mode: mode)
    let out = try f(RandomKey(seed: 5).tensor, Tensor(scalar: Float(0.5)))[0]
    XCTAssertEqual(out.shape, [40, 3, 3])
    // Never the interpreter compared with itself: the native program must have been built.
    XCTAssertEqual(f.backend, mode == .native ? .native : .interpreter, "\(f.backend)")
    return out.array(Float.self)
  }

  func check(_ config: ModelConfig) throws {
    let native = try strokes(config, mode: .native)
    let interpreted = try strokes(config, mode: .interpreter)
    let first = zip(native, interpreted).enumerated().first { $0.1.0.bitPattern != $0.1.1.bitPattern }
    XCTAssertNil(first, "first difference at \(String(describing: first))")
    XCTAssertTrue(native.contains { $0 != 0 }, "the sampler drew something")
  }

  func testLSTMSamplerGivesTheSameStrokes() throws {
    try check(ModelConfig(depth: 2, dim: 16, mixDim: 4, uniform: 0.08))
  }

  func testGRUSamplerGivesTheSameStrokes() throws {
    try check(ModelConfig(depth: 2, dim: 16, mixDim: 4, gru: true, uniform: 0.08))
  }
}
