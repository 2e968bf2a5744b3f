import Codegen
import Foundation
import XCTest

@testable import Sketch

/// A small fixed dataset of circles in memory: sequences of offsets with a pen lift every 8 points.
struct CircleSource: BatchSource {
  var sequences: [[(Float, Float, Float)]]
  var batchSize: Int
  var scale: (x: Double, y: Double) { (1, 1) }

  init(count: Int, batchSize: Int, seed: UInt64) {
    let key = RandomKey(seed: seed)
    sequences = (0..<count).map { n in
      let len = 16 + n % 9
      let phase = Random.uniform64(key: key, index: UInt64(n)) * 6.28
      let radius = 0.8 + Random.uniform64(key: key.fold(1), index: UInt64(n))
      return (0..<len).map { t in
        let a = phase + Double(t) * 0.5
        let noise = 0.05 * Random.standardNormal(key: key.fold(2), index: UInt64(n * 100 + t))
        return (Float(radius * cos(a) + noise), Float(radius * sin(a)), t % 8 == 7 ? 1 : 0)
      }
    }
    self.batchSize = batchSize
  }

  func batch(_ idx: [Int]) -> StrokeBatch {
    let T1 = idx.map { sequences[$0].count }.max()!
    let B = idx.count
    var x = [Float](repeating: 0, count: T1 * B * 3)
    var m = [Float](repeating: 0, count: (T1 - 1) * B)
    for (b, i) in idx.enumerated() {
      for (t, p) in sequences[i].enumerated() {
        x[(t * B + b) * 3] = p.0
        x[(t * B + b) * 3 + 1] = p.1
        x[(t * B + b) * 3 + 2] = p.2
        if t > 0 { m[(t - 1) * B + b] = 1 }
      }
    }
    return StrokeBatch(strokes: Tensor(shape: [T1, B, 3], x), mask: Tensor(shape: [T1 - 1, B], m))
  }

  func trainBatches(epoch: Int) throws -> EpochBatches { EpochBatches(try trainList(epoch: epoch)) }

  func trainList(epoch: Int) throws -> [StrokeBatch] {
    let n = sequences.count * 3 / 4
    var order = Array(0..<n)
    let key = RandomKey(seed: UInt64(epoch) + 100)
    for i in stride(from: n - 1, to: 0, by: -1) {
      let j = Int(Random.uniform64(key: key, index: UInt64(i)) * Double(i + 1))
      order.swapAt(i, j)
    }
    return stride(from: 0, to: n - batchSize + 1, by: batchSize).map { batch(Array(order[$0..<($0 + batchSize)])) }
  }

  func testBatches() throws -> [StrokeBatch] {
    let idx = Array((sequences.count * 3 / 4)..<sequences.count)
    return stride(from: 0, to: idx.count, by: batchSize).map {
      batch(Array(idx[$0..<Swift.min($0 + batchSize, idx.count)]))
    }
  }
}

final class TrainerTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-trainer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func tinySettings() -> TrainingSettings {
    TrainingSettings(
      name: "t", epochs: 100, batchSize: 6, learningRate: 0.02, maxLength: 30, maxGrad: 10, stepMethod: .adam,
      seed: 3, data: "memory", maxBatches: 120, testEvery: 1000, sampleEvery: 100000, saveEvery: 100000)
  }

  let tinyConfig = ModelConfig(depth: 1, dim: 12, mixDim: 2)

  func testExperimentNamesAsTheOriginal() {
    func name(_ lr: Double) -> String {
      ExperimentName.make(
        name: "handwriting", model: ModelConfig(depth: 1, dim: 900, mixDim: 20, dropout: 0.5),
        learningRate: lr, batchSize: 56, maxLength: 600, maxGrad: 10, stepMethod: .adam)
    }
    XCTAssertEqual(name(1e-3), "handwriting-1X900m20d5r13b56e15G10")
    XCTAssertEqual(name(3e-4), "handwriting-1X900m20d5r34b56e15G10")
    XCTAssertEqual(ExperimentName.shnum(0), "0")
    XCTAssertEqual(ExperimentName.shnum(100), "1-2")
    XCTAssertEqual(ExperimentName.shnum(0.005), "53")
    let all = ExperimentName.make(
      name: "x", model: ModelConfig(depth: 2, dim: 8, mixDim: 3, gru: true, skip: true, top: true, uniform: 0.08),
      learningRate: 1e-4, batchSize: 4, maxLength: 300, maxGrad: 5, stepMethod: .rmsprop)
    XCTAssertEqual(all, "x-2X8m3d0r14b4e15-L300grmspropDTu8")
  }

  func testTrainingLowersTestNLLDeterministically() throws {
    let source = CircleSource(count: 48, batchSize: 6, seed: 1)
    func run(_ sub: String) throws -> (Double, Double, Tensor) {
      let t = try Trainer(
        settings: tinySettings(), config: tinyConfig, experiment: "t",
        folder: dir.appendingPathComponent(sub), output: { _ in })
      t.sampleGrid = 2
      t.sampleSteps = 10
      let before = try t.evaluate(try source.testBatches()).perPoint
      XCTAssertEqual(try t.run(source: source), .finished)
      let after = try t.evaluate(try source.testBatches()).perPoint
      return (before, after, t.model.parameters[0].variable.sharedVariable!.value)
    }
    let (before, after, w1) = try run("a")
    print("test NLL per point: \(before) -> \(after)")
    XCTAssertLessThan(after, before - 1.0, "120 Adam steps should lower the test NLL by more than 1 nat per point")
    let (_, after2, w2) = try run("b")
    XCTAssertEqual(after, after2)
    XCTAssertEqual(w1, w2)
  }

  /// The sampler is compiled once and reused: later grids draw from the trained parameters.
  func testTheSamplerIsCompiledOnce() throws {
    let source = CircleSource(count: 48, batchSize: 6, seed: 1)
    let t = try Trainer(
      settings: tinySettings(), config: tinyConfig, experiment: "t",
      folder: dir.appendingPathComponent("s"), output: { _ in })
    t.sampleGrid = 2
    t.sampleSteps = 10
    let first = dir.appendingPathComponent("first")
    let second = dir.appendingPathComponent("second")
    for d in [first, second] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
    try t.writeSamples(to: first)
    XCTAssertEqual(try t.run(source: source), .finished)
    try t.writeSamples(to: second)
    XCTAssertEqual(t.samplerBuilds, 1)
    let a = try Data(contentsOf: first.appendingPathComponent("sketch.svg"))
    let b = try Data(contentsOf: second.appendingPathComponent("sketch.svg"))
    XCTAssertNotEqual(a, b, "the same seed draws other strokes from the trained parameters")
  }
}
