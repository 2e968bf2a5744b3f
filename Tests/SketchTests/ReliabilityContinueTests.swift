import Foundation
import XCTest

@testable import Sketch

/// Issue 12, finding 5: `--model continue` uses the dataset the run recorded (an absolute path and the
/// file's identity), honours `--data` with a warning when it differs, and reports differing flags.
final class ReliabilityContinueTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-continue-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func file(_ name: String, _ bytes: [UInt8]) throws -> String {
    let p = dir.appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: p))
    return p
  }

  func recorded(_ path: String) throws -> TrainingSettings {
    var s = TrainingSettings()
    s.data = path
    s.dataIdentity = try DatasetIdentity.of(path)
    return s
  }

  func testIdentityIsTheSizeAndAHashOfTheEnds() throws {
    let big = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    let a = try DatasetIdentity.of(try file("a.h5", big))
    XCTAssertEqual(a.size, 3 << 20)
    XCTAssertEqual(a, try DatasetIdentity.of(try file("copy.h5", big)))
    var head = big
    head[10] ^= 1
    var tail = big
    tail[tail.count - 10] ^= 1
    XCTAssertNotEqual(a, try DatasetIdentity.of(try file("head.h5", head)))
    XCTAssertNotEqual(a, try DatasetIdentity.of(try file("tail.h5", tail)))
    XCTAssertNotEqual(a, try DatasetIdentity.of(try file("short.h5", Array(big.dropLast()))))
    XCTAssertEqual(try DatasetIdentity.of(try file("empty.h5", [])).hash, "cbf29ce484222325")  // FNV-1a's basis
    XCTAssertThrowsError(try DatasetIdentity.of(dir.path)) {
      XCTAssertTrue("\($0)".contains("not a regular file"), "\($0)")
    }
  }

  func testTheRecordedDatasetIsUsedAndMustBeUnchanged() throws {
    let path = try file("d.h5", [1, 2, 3])
    var warnings: [String] = []
    let run = try recorded(path)
    XCTAssertEqual(try ContinuedRun.dataset(recorded: run, flag: nil) { warnings.append($0) }, path)
    XCTAssertEqual(warnings, [])
    _ = try file("d.h5", [1, 2, 4])
    XCTAssertThrowsError(try ContinuedRun.dataset(recorded: run, flag: nil) { warnings.append($0) }) {
      XCTAssertTrue("\($0)".contains("the dataset \(path) has changed since this run started"), "\($0)")
      XCTAssertTrue("\($0)".contains("pass --data \(path) to continue on it anyway"), "\($0)")
    }
    try FileManager.default.removeItem(atPath: path)
    XCTAssertThrowsError(try ContinuedRun.dataset(recorded: run, flag: nil) { warnings.append($0) }) {
      XCTAssertTrue(
        "\($0)".contains("this run was trained on \(path), which no longer exists; pass --data FILE"), "\($0)")
    }
  }

  func testDataFlagIsHonouredWithAWarning() throws {
    let run = try recorded(try file("d.h5", [1, 2, 3]))
    let other = try file("other.h5", [9])
    var warnings: [String] = []
    XCTAssertEqual(try ContinuedRun.dataset(recorded: run, flag: other) { warnings.append($0) }, other)
    XCTAssertEqual(warnings.count, 1)
    XCTAssertTrue(
      warnings[0].contains("--data \(other) is not the dataset this run was trained on (\(run.data)"), warnings[0])
    warnings = []
    XCTAssertEqual(try ContinuedRun.dataset(recorded: run, flag: run.data) { warnings.append($0) }, run.data)
    XCTAssertEqual(warnings, [], "the recorded file itself gives no warning")
  }

  func testRunsSavedBeforeTheIdentityStillContinue() throws {
    // The settings JSON of a model file written before issue 12: no dataIdentity, no threads.
    let path = try file("d.h5", [1, 2, 3])
    let old = """
      {"batchSize":56,"data":"\(path)","epochs":500,"learningRate":0.0001,"maxGrad":10,"maxLength":600,\
      "name":"handwriting","sampleEvery":100,"saveEvery":100,"seed":0,"stepMethod":"adam","testEvery":100}
      """
    let recorded = try TrainingSettings.fromJSON(old)
    XCTAssertNil(recorded.dataIdentity)
    XCTAssertNil(recorded.threads)
    var warnings: [String] = []
    XCTAssertEqual(try ContinuedRun.dataset(recorded: recorded, flag: nil) { warnings.append($0) }, path)
    XCTAssertEqual(warnings, [])
  }

  func testDifferingFlagsAreReported() {
    var recorded = TrainingSettings()
    recorded.threads = 2
    var flags = recorded
    XCTAssertEqual(ContinuedRun.differences(flags: flags, recorded: recorded), [])
    flags.seed = 7
    flags.testEvery = 50
    flags.testBatches = 3
    flags.epochs = 9  // epochs, --max-batches and --data are the flags' to change
    flags.maxBatches = 4
    flags.threads = 1
    XCTAssertEqual(
      ContinuedRun.differences(flags: flags, recorded: recorded),
      [
        "note: the run being continued keeps its --seed 0, --test-every 100, --test-batches all "
          + "(the flags give --seed 7, --test-every 50, --test-batches 3); start a new run to change them",
        "note: this run was trained with 2 threads and continues with 1: results will differ in rounding from a "
          + "run that keeps one thread count (pass --threads 2 to continue it exactly)",
      ])
  }
}
