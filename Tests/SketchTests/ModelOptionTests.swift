import Codegen
import Foundation
import XCTest

@testable import Sketch

/// The model's options (GRU, skip, top, dropout) through the gradient checker, and their shapes.
final class ModelOptionTests: XCTestCase {
  func strokes(T: Int, B: Int, seed: UInt64) -> Tensor {
    let n = Random.normal(key: RandomKey(seed: seed), shape: [T + 1, B, 3], dtype: .float64).array(Double.self)
    return Tensor(shape: [T + 1, B, 3], n.enumerated().map { i, v in i % 3 == 2 ? (v > 1 ? 1 : 0) : v })
  }

  func check(_ config: ModelConfig, dropoutSeed: UInt64? = nil) throws {
    let shapes = HandwritingModel.parameterShapes(config)
    let points =
      shapes.enumerated().map { k, s in
        Random.normal(key: RandomKey(seed: 50 + UInt64(k)), shape: s.1, dtype: .float64, std: 0.3)
      } + [strokes(T: 4, B: 2, seed: 7)]
    let mask = Tensor(shape: [4, 2], [1.0, 1, 1, 1, 1, 0, 1, 0])
    try checkGradient(at: points, directions: 2) { v in
      let model = HandwritingModel(config: config, variables: Array(v.dropLast()))
      let key = dropoutSeed.map { randomKey(seed: $0) }
      return model.cost(strokes: v.last!, mask: constant(mask), dropoutKey: key).cost
    }
  }

  func testGRU() throws { try check(ModelConfig(depth: 1, dim: 3, mixDim: 2, gru: true)) }
  func testSkipConnections() throws { try check(ModelConfig(depth: 2, dim: 3, mixDim: 2, skip: true)) }
  func testTop() throws { try check(ModelConfig(depth: 2, dim: 3, mixDim: 2, gru: true, top: true)) }
  func testDropout() throws { try check(ModelConfig(depth: 2, dim: 3, mixDim: 2, dropout: 0.3), dropoutSeed: 4) }

  func testParameterShapesFollowTheOptions() {
    let s = Dictionary(
      uniqueKeysWithValues: HandwritingModel.parameterShapes(
        ModelConfig(depth: 3, dim: 10, mixDim: 4, skip: true)
      ).map { ($0.0, $0.1) })
    XCTAssertEqual(s["transition/layer0/W"], [3, 40])
    XCTAssertEqual(s["transition/layer1/W"], [13, 40])
    XCTAssertEqual(s["readout/W"], [30, 25])
    let g = Dictionary(
      uniqueKeysWithValues: HandwritingModel.parameterShapes(
        ModelConfig(depth: 2, dim: 10, mixDim: 4, gru: true, top: true)
      ).map { ($0.0, $0.1) })
    XCTAssertEqual(g["transition/layer1/U"], [10, 30])
    XCTAssertEqual(g["readout/W"], [10, 25])
  }

  func testOrthogonalGlorotInitialisation() {
    let w = Initializer.orthogonalGlorot([6, 8], blockWidth: 4, key: RandomKey(seed: 1)).array(Float.self).map(
      Double.init)
    // Each 6x4 block has orthogonal columns of squared norm 6 * 2/(6+4).
    for blk in 0..<2 {
      for a in 0..<4 {
        for b in 0..<4 {
          let dot = (0..<6).reduce(0.0) { $0 + w[$1 * 8 + blk * 4 + a] * w[$1 * 8 + blk * 4 + b] }
          XCTAssertEqual(dot, a == b ? 1.2 : 0, accuracy: 1e-5)
        }
      }
    }
  }

  func testInterruptSavesAndStops() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-int-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let s = TrainingSettings(name: "i", epochs: 1, batchSize: 4, learningRate: 0.01, maxLength: 30, seed: 1, data: "m")
    let t = try Trainer(
      settings: s, config: ModelConfig(depth: 1, dim: 4, mixDim: 1), experiment: "i", folder: dir, output: { _ in })
    t.sampleGrid = 1
    t.sampleSteps = 3
    interruptRequested = true
    defer { interruptRequested = false }
    XCTAssertEqual(try t.run(source: CircleSource(count: 20, batchSize: 4, seed: 1)), .interrupted)
    XCTAssertEqual(try Checkpoint.read(t.modelPath).position.step, 0)
  }
}
