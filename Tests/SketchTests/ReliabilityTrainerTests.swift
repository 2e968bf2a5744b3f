import Codegen
import Foundation
import XCTest

@testable import Sketch

/// Issue 12, findings 7, 13 and 15 in the training loop: metrics lines written whole or not at all,
/// repaired on resume; NaN recorded as null with a message that says what was saved; the end-of-epoch
/// test logged once.
final class ReliabilityTrainerTests: XCTestCase {
  var dir: URL!
  let config = ModelConfig(depth: 1, dim: 6, mixDim: 2)

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-reltrain-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func settings(maxBatches: Int?, epochs: Int = 10, saveEvery: Int = 1000, testEvery: Int = 1000) -> TrainingSettings {
    TrainingSettings(
      name: "r", epochs: epochs, batchSize: 4, learningRate: 0.01, maxLength: 30, maxGrad: 1, stepMethod: .adam,
      seed: 5, data: "memory", maxBatches: maxBatches, testEvery: testEvery, sampleEvery: 100000, saveEvery: saveEvery)
  }

  func trainer(_ s: TrainingSettings, resume: Checkpoint.Contents? = nil, output: @escaping (String) -> Void = { _ in })
    throws -> Trainer
  {
    let t = try Trainer(settings: s, config: config, experiment: "r", folder: dir, resume: resume, output: output)
    t.sampleGrid = 1
    t.sampleSteps = 5
    return t
  }

  func records() throws -> [[String: Any]] {
    try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
      try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], String($0))
    }
  }

  func poisonedSource(at index: Int) throws -> FixedSource {
    let good = try CircleSource(count: 40, batchSize: 4, seed: 4).trainList(epoch: 0)
    var poisoned = good[2]
    var v = poisoned.strokes.array(Float.self)
    v[4] = .nan
    poisoned.strokes = Tensor(shape: poisoned.strokes.shape, v)
    var batches = [good[0], good[1], good[3], good[4]]
    batches.insert(poisoned, at: index)
    return FixedSource(batches: batches, test: [good[5]])
  }

  func testNaNIsRecordedAsNullAndTheMessageSaysWhatWasSaved() throws {
    var lines: [String] = []
    let t = try trainer(settings(maxBatches: 100, saveEvery: 2)) { lines.append($0) }
    XCTAssertEqual(try t.run(source: try poisonedSource(at: 3)), .stoppedOnNaN(step: 3))
    let nan = try XCTUnwrap(try records().last)
    XCTAssertEqual(nan["event"] as? String, "nan")
    XCTAssertTrue(nan["train_cost"] is NSNull, "train_cost must be null, not a number: \(nan)")
    XCTAssertEqual(nan["train_cost_text"] as? String, "nan", "JSON has no NaN: the value as text")
    let text = lines.joined(separator: "\n")
    XCTAssertTrue(text.contains("The last good model is \(t.modelPath) (saved at step 2)."), text)
    XCTAssertTrue(text.contains("the data holds NaN or huge values"), text)
  }

  func testNaNBeforeAnySaveSaysNoModelWasSaved() throws {
    var lines: [String] = []
    let t = try trainer(settings(maxBatches: 100, saveEvery: 50)) { lines.append($0) }
    XCTAssertEqual(try t.run(source: try poisonedSource(at: 0)), .stoppedOnNaN(step: 0))
    let text = lines.joined(separator: "\n")
    XCTAssertTrue(text.contains("No model was saved yet (the first save was due at step 50"), text)
    XCTAssertFalse(text.contains("The last good model is"), text)
    XCTAssertFalse(FileManager.default.fileExists(atPath: t.modelPath))
  }

  func testEndOfEpochTestIsLoggedOnceOnATestStep() throws {
    // 4 batches per epoch, a test every 2 steps, 2 epochs: tests at steps 2, 4, 6, 8, each once.
    let source = FixedSource(
      batches: Array(try CircleSource(count: 40, batchSize: 4, seed: 6).trainList(epoch: 0).prefix(4)),
      test: try CircleSource(count: 40, batchSize: 4, seed: 6).testBatches())
    let t = try trainer(settings(maxBatches: nil, epochs: 2, testEvery: 2))
    XCTAssertEqual(try t.run(source: source), .finished)
    let tests = try records().filter { $0["test_sequence_log_likelihood"] != nil }.compactMap { $0["step"] as? Int }
    XCTAssertEqual(tests, [2, 4, 6, 8])
    // Resuming at the end of epoch 2 (step 8) for a third epoch logs 10 and 12 once each, not 8 again.
    let saved = try Checkpoint.read(t.modelPath)
    XCTAssertEqual(saved.position.step, 8)
    let t2 = try trainer(settings(maxBatches: nil, epochs: 3, testEvery: 2), resume: saved)
    XCTAssertEqual(try t2.run(source: source), .finished)
    let again = try records().filter { $0["test_sequence_log_likelihood"] != nil }.compactMap { $0["step"] as? Int }
    XCTAssertEqual(again, [2, 4, 6, 8, 10, 12])
  }

  func testAFailedMetricsWriteIsAnErrorNotACrash() throws {
    // /dev/full fails every write with ENOSPC, as a full disk does.
    let log = try MetricsLog(path: "/dev/full", resumeAt: nil)
    XCTAssertThrowsError(try log.record(["step": 1, "train_cost": 2.5])) {
      XCTAssertEqual("\($0)", "cannot write the metrics /dev/full: \(String(cString: strerror(ENOSPC)))")
    }
    XCTAssertTrue(log.trainCurve.isEmpty, "a record that was not written is not in the curve")
  }

  func testResumeKeepsWholeRecordsUpToTheSavedStep() throws {
    let path = dir.appendingPathComponent("metrics.jsonl").path
    let earlier =
      "{\"step\":1,\"train_cost\":3}\n{\"step\":10,\"train_cost\":2}\n{\"step\":10,\"test_sequence_log_likelihood\":5}\n"
    let later = "{\"step\":20,\"train_cost\":1}\n{\"step\":30,\"tra"
    try Data((earlier + later).utf8).write(to: URL(fileURLWithPath: path))
    let log = try MetricsLog(path: path, resumeAt: 10)
    XCTAssertEqual(log.droppedOnResume, 2)
    XCTAssertEqual(log.trainCurve.map(\.0), [1, 10])
    XCTAssertEqual(log.testCurve.map(\.0), [10])
    try log.record(["step": 11, "train_cost": 1.5])
    XCTAssertEqual(
      try String(contentsOfFile: path, encoding: .utf8), earlier + "{\"step\":11,\"train_cost\":1.5}\n")
    // A non-finite value in any field is written as null (JSON has no NaN).
    try log.record(["step": 12, "readout_max": Double.infinity])
    XCTAssertTrue(try String(contentsOfFile: path, encoding: .utf8).hasSuffix("{\"readout_max\":null,\"step\":12}\n"))
  }
}
