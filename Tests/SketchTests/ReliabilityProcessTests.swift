import Foundation
import TestSupport
import XCTest

@testable import Sketch

/// Issue 12 against the `sketch` executable: a re-run is refused (finding 1), a second training into
/// a busy folder is refused (2), `--model continue` works from another directory (5), a full disk is a
/// clear error that keeps the last model (7), SIGTERM and SIGHUP save (10), and kill -9 at seeded
/// random points never loses the run (the crash-safety test).
final class ReliabilityProcessTests: XCTestCase {
  nonisolated(unsafe) static var shared: URL?
  var data: URL!
  var out: URL!

  override func setUpWithError() throws {
    if Self.shared == nil { Self.shared = try TinyRun.folderWithDataset("process-data") }
    data = Self.shared!.appendingPathComponent("d.h5")
    out = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-process-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: out) }

  override class func tearDown() {
    if let shared { try? FileManager.default.removeItem(at: shared) }
    shared = nil
  }

  var run: URL { out.appendingPathComponent(TinyRun.folderName) }

  /// `train` with the tiny flags, the shared dataset, `--output out`, then `extra`.
  func train(_ extra: [String]) -> [String] {
    ["train"] + TinyRun.flags + ["--data", data.path, "--output", out.path, "--grid", "1"] + extra
  }

  /// A run long enough to be stopped by a signal: nothing is saved or tested along the way.
  let endless = ["--epochs", "1000", "--save-every", "100000", "--test-every", "100000", "--sample-every", "100000"]

  func savedStep() throws -> Int { try Checkpoint.read(run.appendingPathComponent("model.h5").path).position.step }

  func lastMetricsStep() -> Int { TinyRun.metrics(run).compactMap { $0["step"] as? Int }.max() ?? -1 }

  func testARerunIsRefusedAndLeavesTheRunIntact() throws {
    let quick = train(["--max-batches", "4", "--save-every", "2"])
    XCTAssertEqual(try SketchProcess.run(quick, in: out).status, 0)
    let before = try Data(contentsOf: run.appendingPathComponent("metrics.jsonl"))
    let model = try Data(contentsOf: run.appendingPathComponent("model.h5"))
    let again = try SketchProcess.run(quick, in: out)
    XCTAssertEqual(again.status, 1, again.output)
    XCTAssertTrue(again.output.contains("Error: \(run.path) already holds a training run"), again.output)
    XCTAssertTrue(again.output.contains("--model continue") && again.output.contains("--overwrite"), again.output)
    XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent("metrics.jsonl")), before)
    XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent("model.h5")), model)
    // --overwrite removes the earlier run only once the new one can start (its dataset opens).
    let missing = quick.map { $0 == data.path ? out.appendingPathComponent("missing.h5").path : $0 }
    let failed = try SketchProcess.run(missing + ["--overwrite"], in: out)
    XCTAssertEqual(failed.status, 64, failed.output)
    XCTAssertTrue(failed.output.contains("no dataset at \(out.path)/missing.h5"), failed.output)
    XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent("metrics.jsonl")), before)
    XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent("model.h5")), model)
    let replaced = try SketchProcess.run(quick + ["--overwrite", "--max-batches", "2"], in: out)
    XCTAssertEqual(replaced.status, 0, replaced.output)
    XCTAssertEqual(try savedStep(), 2)
  }

  func testABusyFolderIsRefusedAndSignalsSave() throws {
    let first = try SketchProcess.Running(train(endless), in: out, log: out.appendingPathComponent("first.log"))
    SketchProcess.waitFor("the first run's first metrics record") { lastMetricsStep() >= 1 }
    let second = try SketchProcess.run(train(endless + ["--overwrite"]), in: out)
    XCTAssertEqual(second.status, 1, second.output)
    XCTAssertTrue(
      second.output.contains(
        "\(run.path) is in use by another `sketch train` (process \(first.process.processIdentifier))"),
      second.output)
    first.signal(SIGTERM)
    let stopped = first.wait()
    XCTAssertEqual(stopped.status, 128 + SIGTERM, stopped.output)
    XCTAssertTrue(stopped.output.contains("interrupted (SIGTERM): saved \(run.path)/model.h5"), stopped.output)
    let step = try savedStep()
    XCTAssertGreaterThanOrEqual(step, 1)
    // SIGHUP (a closed terminal) saves too; the continued run goes on from the saved step.
    let resumed = try SketchProcess.Running(
      train(endless + ["--model", "continue"]), in: out, log: out.appendingPathComponent("second.log"))
    SketchProcess.waitFor("the continued run's next metrics record") { lastMetricsStep() > step }
    resumed.signal(SIGHUP)
    let hung = resumed.wait()
    XCTAssertEqual(hung.status, 128 + SIGHUP, hung.output)
    // The epoch depends on how far the first run got before SIGTERM (20 batches an epoch).
    XCTAssertTrue(hung.output.contains("continuing \(TinyRun.folderName) at epoch \(1 + step / 20), step \(step)"), hung.output)
    XCTAssertTrue(hung.output.contains("interrupted (SIGHUP)"), hung.output)
    XCTAssertGreaterThan(try savedStep(), step)
    XCTAssertEqual(TinyRun.temporaries(run), [])
  }

  func testContinueFromAnotherDirectoryUsesTheRecordedDataset() throws {
    let home = Self.shared!
    let elsewhere = out.appendingPathComponent("elsewhere")
    try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
    try Data("not the dataset".utf8).write(to: elsewhere.appendingPathComponent("d.h5"))
    let base = ["train"] + TinyRun.flags + ["--output", out.path, "--grid", "1", "--save-every", "2"]
    XCTAssertEqual(try SketchProcess.run(base + ["--data", "d.h5", "--max-batches", "2"], in: home).status, 0)
    // From a folder whose d.h5 is another file, without --data: the recorded absolute path.
    let moved = try SketchProcess.run(base + ["--max-batches", "4", "--model", "continue"], in: elsewhere)
    XCTAssertEqual(moved.status, 0, moved.output)
    XCTAssertTrue(moved.output.contains("on \(data.path)"), moved.output)
    XCTAssertEqual(try savedStep(), 4)
    // --data is honoured, with a warning when it is not the recorded file; differing flags are reported.
    try FileManager.default.copyItem(at: data, to: elsewhere.appendingPathComponent("copy.h5"))
    let copy = elsewhere.appendingPathComponent("copy.h5").path
    let other = try SketchProcess.run(
      ["train"] + TinyRun.flags + [
        "--data", "copy.h5", "--output", out.path, "--grid", "1", "--max-batches", "6",
        "--model", "continue", "--seed", "9",
      ], in: elsewhere)
    XCTAssertEqual(other.status, 0, other.output)
    XCTAssertTrue(
      other.output.contains("warning: --data \(copy) is not the dataset this run was trained on (\(data.path)"),
      other.output)
    XCTAssertTrue(other.output.contains("on \(copy)"), other.output)
    XCTAssertTrue(
      other.output.contains("keeps its --seed 0, --save-every 2 (the flags give --seed 9, --save-every 100)"),
      other.output)
  }

  func testAFullDiskIsAClearErrorThatKeepsTheLastModel() throws {
    // `ulimit -f` makes writes past 20 KB fail (EFBIG, with SIGXFSZ ignored) as a full disk does;
    // the tiny model file is about 44 KB, so its first save fails.
    let full = "trap '' XFSZ; ulimit -f 40; exec \"$S\" \"$@\""
    let fresh = try SketchProcess.run(train(["--max-batches", "6", "--save-every", "2"]), in: out, shell: full)
    XCTAssertEqual(fresh.status, 1, fresh.output)
    XCTAssertTrue(fresh.output.contains("Error: step 2: could not save the model:"), fresh.output)
    XCTAssertTrue(fresh.output.contains("No model was saved yet"), fresh.output)
    XCTAssertFalse(fresh.output.contains("crashed"), fresh.output)
    XCTAssertEqual(TinyRun.temporaries(run), [])
    XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("model.h5").path))
    _ = TinyRun.metrics(run)
    // With a saved model, a failing save keeps it.
    XCTAssertEqual(
      try SketchProcess.run(train(["--max-batches", "3", "--save-every", "2", "--overwrite"]), in: out).status, 0)
    let kept = try SketchProcess.run(
      train(["--max-batches", "9", "--save-every", "2", "--model", "continue"]), in: out, shell: full)
    XCTAssertEqual(kept.status, 1, kept.output)
    XCTAssertTrue(kept.output.contains("Error: step 4: could not save the model:"), kept.output)
    XCTAssertTrue(kept.output.contains("The last good model is \(run.path)/model.h5 (saved at step 3)."), kept.output)
    XCTAssertEqual(try savedStep(), 3)
    XCTAssertEqual(TinyRun.temporaries(run), [])
  }

  func testKillNineAtRandomPointsNeverLosesTheRun() throws {
    // Tests every 2 steps and saves every 3, so that some records come after the last save (resume
    // must drop them), and kills land in steps, tests, saves and samples.
    let flags = train([
      "--max-batches", "40", "--save-every", "3", "--test-every", "2", "--sample-every", "20", "--seed", "2",
    ])
    // The reference: the same run without interruptions, in another folder.
    let reference = out.appendingPathComponent("reference")
    let straight = try SketchProcess.run(flags.map { $0 == out.path ? reference.path : $0 }, in: out)
    XCTAssertEqual(straight.status, 0, straight.output)
    // Four kills, each once metrics.jsonl has reached a seeded random step, after a seeded random
    // delay of up to 30 ms (so the kill lands anywhere in the next steps and writes).
    var rng = SeededGenerator(seed: 12)  // the kill points, fixed by the seed
    let model = run.appendingPathComponent("model.h5").path
    var target = 0
    var kills: [Int] = []  // the saved step after each kill
    for i in 0..<4 {
      target += 4 + Int(rng.next() % 6)
      let args = i == 0 ? flags : flags + ["--model", "continue"]
      let p = try SketchProcess.Running(args, in: out, log: out.appendingPathComponent("kill-\(i).log"))
      SketchProcess.waitFor("metrics of step \(target)") { lastMetricsStep() >= target || !p.process.isRunning }
      usleep(UInt32(rng.next() % 30_000))
      p.signal(SIGKILL)
      let end = p.wait()
      XCTAssertEqual(end.status, 128 + SIGKILL, end.output)
      XCTAssertNoThrow(kills.append(try Checkpoint.read(model).position.step), "after kill \(i)")
    }
    print("kill -9 test: saved steps after the kills: \(kills)")
    let last = try SketchProcess.run(flags + ["--model", "continue"], in: out)
    XCTAssertEqual(last.status, 0, last.output)
    XCTAssertEqual(TinyRun.temporaries(run), [], "temporary files left")
    let done = try Checkpoint.read(run.appendingPathComponent("model.h5").path)
    let expected = try Checkpoint.read(reference.appendingPathComponent(TinyRun.folderName + "/model.h5").path)
    XCTAssertEqual(done.position, expected.position)
    XCTAssertEqual(done.parameters, expected.parameters, "the interrupted run ends where the straight one does")
    func kinds(_ records: [[String: Any]]) -> [String] {
      records.map { "\($0["step"] ?? "?") " + $0.keys.filter { $0 != "seconds" }.sorted().joined(separator: ",") }
    }
    XCTAssertEqual(
      kinds(TinyRun.metrics(run)), kinds(TinyRun.metrics(reference.appendingPathComponent(TinyRun.folderName))))
  }
}
