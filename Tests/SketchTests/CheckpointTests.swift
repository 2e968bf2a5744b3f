import Codegen
import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// A source that replays fixed batches (and can poison one with NaN).
struct FixedSource: BatchSource {
  var batches: [StrokeBatch]
  var test: [StrokeBatch]
  var scale: (x: Double, y: Double) { (1, 1) }
  func trainBatches(epoch: Int) throws -> EpochBatches { EpochBatches(batches) }
  func testBatches() throws -> [StrokeBatch] { test }
}

final class CheckpointTests: XCTestCase {
  var dir: URL!
  let config = ModelConfig(depth: 2, dim: 6, mixDim: 2, skip: true)

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-ckpt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func settings(maxBatches: Int, saveEvery: Int = 1000) -> TrainingSettings {
    TrainingSettings(
      name: "c", epochs: 10, batchSize: 4, learningRate: 0.01, maxLength: 30, maxGrad: 1, stepMethod: .adam,
      seed: 5, data: "memory", maxBatches: maxBatches, testEvery: 1000, sampleEvery: 100000, saveEvery: saveEvery)
  }

  func trainer(_ sub: String, _ s: TrainingSettings, resume: Checkpoint.Contents? = nil) throws -> Trainer {
    let t = try Trainer(
      settings: s, config: config, experiment: "c", folder: dir.appendingPathComponent(sub),
      resume: resume, output: { _ in })
    t.sampleGrid = 2
    t.sampleSteps = 5
    return t
  }

  func values(_ t: Trainer) -> [Tensor] { t.model.parameters.map { $0.variable.sharedVariable!.value } }

  func testRoundTripGivesIdenticalOutputs() throws {
    let source = CircleSource(count: 24, batchSize: 4, seed: 2)
    let t = try trainer("a", settings(maxBatches: 3))
    _ = try t.run(source: source)
    let c = try Checkpoint.read(t.modelPath)
    XCTAssertEqual(c.config, config)
    XCTAssertEqual(c.position.step, 3)
    let loaded = HandwritingModel(config: c.config, values: c.parameters)
    let x = input("x", .float32, ["T1", "B", 3])
    let m = input("m", .float32, ["T", "B"])
    let b = try source.testBatches()[0]
    let f1 = try compile(inputs: [x, m], outputs: [t.model.prediction!.cost(strokes: x, mask: m).nll])
    let f2 = try compile(inputs: [x, m], outputs: [loaded.cost(strokes: x, mask: m).nll])
    XCTAssertEqual(try f1(b.strokes, b.mask)[0], try f2(b.strokes, b.mask)[0])
    XCTAssertFalse(c.optimizerState.isEmpty)
  }

  func testContinueResumesWithTheSameNextBatchAndStep() throws {
    let source = CircleSource(count: 40, batchSize: 4, seed: 3)  // 7 batches per epoch: crosses an epoch
    let straight = try trainer("straight", settings(maxBatches: 12))
    _ = try straight.run(source: source)
    let first = try trainer("split", settings(maxBatches: 5))
    _ = try first.run(source: source)
    let saved = try Checkpoint.read(first.modelPath)
    XCTAssertEqual(saved.position, TrainingPosition(epoch: 0, batchInEpoch: 5, step: 5, seed: 5))
    let second = try trainer("split", settings(maxBatches: 12), resume: saved)
    _ = try second.run(source: source)
    XCTAssertEqual(second.position, straight.position)
    XCTAssertEqual(values(second), values(straight))
  }

  func testNaNStopsAndKeepsThePreviousCheckpoint() throws {
    let good = try CircleSource(count: 40, batchSize: 4, seed: 4).trainList(epoch: 0)
    var poisoned = good[2]
    var v = poisoned.strokes.array(Float.self)
    v[4] = .nan
    poisoned.strokes = Tensor(shape: poisoned.strokes.shape, v)
    let source = FixedSource(batches: [good[0], good[1], good[3], poisoned, good[4]], test: [good[5]])
    let t = try trainer("nan", settings(maxBatches: 100, saveEvery: 2))
    XCTAssertEqual(try t.run(source: source), .stoppedOnNaN(step: 3))
    XCTAssertEqual(try Checkpoint.read(t.modelPath).position.step, 2)
  }

  func testCorruptOrForeignModelFilesGiveClearErrors() throws {
    let garbage = dir.appendingPathComponent("garbage.h5").path
    try Data("not an hdf5 file at all".utf8).write(to: URL(fileURLWithPath: garbage))
    XCTAssertThrowsError(try Checkpoint.read(garbage)) {
      XCTAssertTrue("\($0)".contains("not a Sketch model file"), "\($0)")
    }
    let foreign = dir.appendingPathComponent("foreign.h5").path
    let f = try HDF5File.create(foreign)
    try f.write(Tensor(shape: [2], [Float(1), 2]), to: "weights")
    try f.commit()
    XCTAssertThrowsError(try Checkpoint.read(foreign)) {
      XCTAssertTrue("\($0)".contains("not a Sketch model"), "\($0)")
    }
    XCTAssertThrowsError(try Checkpoint.read(dir.appendingPathComponent("missing.h5").path)) {
      XCTAssertTrue("\($0)".contains("no model file"), "\($0)")
    }
  }

  func testSamplingWritesValidFilesAndIsDeterministic() throws {
    let t = try trainer("s", settings(maxBatches: 1))
    t.sampleGrid = 3
    try t.writeSamples(to: dir.appendingPathComponent("one"), seed: 9)
    try t.writeSamples(to: dir.appendingPathComponent("two"), seed: 9)
    try t.writeSamples(to: dir.appendingPathComponent("three"), seed: 10)
    let png = try PNGImage.read(from: dir.appendingPathComponent("one/sketch.png").path)
    XCTAssertEqual(png.width, 3 * 160)
    XCTAssertEqual(png.height, 3 * 160)
    XCTAssertTrue(png.pixels.contains { $0 < 128 }, "some ink")
    let pen = try PNGImage.read(from: dir.appendingPathComponent("one/pen.png").path)
    XCTAssertEqual([pen.width, pen.height], [SampleRenderer.penImageSize(count: 9).width, 34 + 9 * 24 + 52])
    let svg = try String(contentsOf: dir.appendingPathComponent("one/sketch.svg"), encoding: .utf8)
    XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("<path"))
    let a = try Data(contentsOf: dir.appendingPathComponent("one/sketch.png"))
    XCTAssertEqual(a, try Data(contentsOf: dir.appendingPathComponent("two/sketch.png")))
    XCTAssertNotEqual(a, try Data(contentsOf: dir.appendingPathComponent("three/sketch.png")))
  }
}
