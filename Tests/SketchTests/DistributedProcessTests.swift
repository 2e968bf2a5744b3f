import Codegen
import Foundation
import XCTest

@testable import Sketch

/// `mpirun` for the tests: installed by scripts/install-deps.sh when missing (a test fails with the
/// reason when it cannot be), and the shell line that starts N ranks of the built `sketch`.
enum MPIRun {
  /// The repository root (from this file's path).
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static var installed: Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
      FileManager.default.isExecutableFile(atPath: "\($0)/mpirun")
    }
  }

  /// Installs Open MPI (scripts/install-deps.sh) when `mpirun` is missing; throws why it could not.
  static func ensureInstalled() throws {
    if installed { return }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = [root.appendingPathComponent("scripts/install-deps.sh").path]
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0, installed else {
      throw SketchProcessError(
        "mpirun is missing and scripts/install-deps.sh could not install Open MPI (status \(p.terminationStatus)); "
          + "install openmpi-bin and libopenmpi-dev")
    }
  }

  /// The shell line for ``SketchProcess/run(_:in:shell:file:line:)``: `mpirun -np N --oversubscribe
  /// sketch ARGS` (as root, with Open MPI's two variables that allow it), with `tag` in the ranks'
  /// environment (to find them in /proc).
  static func shell(ranks: Int, tag: String = "") -> String {
    let root = getuid() == 0 ? "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " : ""
    return "\(root)SKETCH_TEST_TAG=\(tag) exec mpirun -np \(ranks) --oversubscribe \"$S\" \"$@\""
  }

  /// The process ids of the ranks whose environment holds SKETCH_TEST_TAG=`tag` and rank `rank`.
  static func pids(tag: String, rank: Int) -> [Int32] {
    let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return procs.compactMap { Int32($0) }.filter { pid in
      guard let env = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
      let vars = env.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      return vars.contains("SKETCH_TEST_TAG=\(tag)") && vars.contains("OMPI_COMM_WORLD_RANK=\(rank)")
    }
  }
}

/// Issue 17 with real processes: `mpirun -np 2 --oversubscribe sketch train --distributed` on this
/// machine gives one process's parameters (to float32 rounding; bit for bit in the fixed order
/// against `--shards 2`), its checkpoints continue with any number of ranks, and a killed rank stops
/// the job with the rank named and the last checkpoint loadable.
final class DistributedProcessTests: XCTestCase {
  var dir: URL!
  /// The tiny run: 8 lines a batch (4 a rank), one 8-unit LSTM layer, one thread a rank.
  let flags = [
    "--dim", "8", "--depth", "1", "--mix-dim", "2", "--bs", "8", "--max-length", "50", "--threads", "1",
    "--data", "d.h5", "--test-batches", "2", "--sample-every", "1000", "--grid", "1",
  ]
  let experiment = "handwriting-1X8m2d0r14b8e15-L50G10"
  /// The largest difference allowed between the parameters of N ranks and of one process after 4-8
  /// Adam steps at 1e-4: the measured one is 1.4e-8 (4 steps, 2 ranks; docs/distributed.md).
  let tolerance: Float = 1e-6

  override func setUpWithError() throws {
    try MPIRun.ensureInstalled()
    dir = try TinyRun.folderWithDataset("mpi")
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  /// Runs `sketch train FLAGS EXTRA --output OUT` (under mpirun with `ranks`), expecting success.
  @discardableResult
  func train(_ out: String, ranks: Int? = nil, _ extra: [String], file: StaticString = #filePath, line: UInt = #line)
    throws -> String
  {
    let r = try SketchProcess.run(
      ["train"] + flags + extra + ["--output", out], in: dir, shell: ranks.map { MPIRun.shell(ranks: $0) },
      file: file, line: line)
    XCTAssertEqual(r.status, 0, r.output, file: file, line: line)
    return r.output
  }

  /// The parameters of the model in `out` (its one experiment folder).
  func parameters(_ out: String) throws -> [String: [Float]] {
    let folders = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(out).path)
    XCTAssertEqual(folders.count, 1, "\(out): \(folders)")
    let c = try Checkpoint.read(dir.appendingPathComponent("\(out)/\(folders.first ?? experiment)/model.h5").path)
    return c.parameters.mapValues { $0.array(Float.self) }
  }

  /// The largest absolute difference between two runs' parameters (same names and sizes asserted).
  func largestDifference(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws -> Float {
    let (p, q) = (try parameters(a), try parameters(b))
    XCTAssertEqual(p.keys.sorted(), q.keys.sorted(), file: file, line: line)
    XCTAssertFalse(p.isEmpty, file: file, line: line)
    var worst: Float = 0
    for (name, x) in p {
      let y = q[name] ?? []
      XCTAssertEqual(x.count, y.count, name, file: file, line: line)
      for (u, v) in zip(x, y) { worst = Swift.max(worst, abs(u - v)) }
    }
    return worst
  }

  func testTwoRanksGiveTheParametersOfOneProcess() throws {
    try train("one", ["--max-batches", "4", "--test-every", "2"])
    let two = try train("two", ranks: 2, ["--max-batches", "4", "--test-every", "2", "--distributed"])
    XCTAssertTrue(two.contains("data-parallel: 2 MPI ranks"), two)
    try train("shards", ["--max-batches", "4", "--shards", "2", "--fixed-reduction"])
    try train("fixed", ranks: 2, ["--max-batches", "4", "--distributed", "--fixed-reduction"])
    try train("start", ["--max-batches", "1", "--lr", "1e-12"])  // the initial parameters, to 1e-12
    // The runs moved the parameters (by far more than the tolerance), and the same way.
    XCTAssertGreaterThan(try largestDifference("one", "start"), 100 * tolerance)
    let d = try largestDifference("one", "two")
    XCTAssertLessThanOrEqual(d, tolerance)
    // Fixed order: N ranks and one process computing the same N shards agree bit for bit.
    XCTAssertEqual(try parameters("shards"), try parameters("fixed"))
    XCTAssertLessThanOrEqual(try largestDifference("one", "shards"), tolerance)
    // Rank 0 alone wrote the metrics: one record per logged step, with the global batch's cost.
    let one = TinyRun.metrics(dir.appendingPathComponent("one/\(experiment)"))
    let ranks = TinyRun.metrics(dir.appendingPathComponent("two/\(experiment)"))
    XCTAssertEqual(one.compactMap { $0["step"] as? Int }, ranks.compactMap { $0["step"] as? Int })
    let (c1, c2) = (one[0]["train_cost"] as? Double ?? .nan, ranks[0]["train_cost"] as? Double ?? .nan)
    XCTAssertEqual(c1, c2, accuracy: 1e-4 * abs(c1))
    let t1 = one.compactMap { $0["test_sequence_log_likelihood"] as? Double }
    let t2 = ranks.compactMap { $0["test_sequence_log_likelihood"] as? Double }
    XCTAssertEqual(t1.count, 2)  // steps 2 and 4, the test batches split over the ranks and summed
    XCTAssertEqual(t1.count, t2.count)
    for (a, b) in zip(t1, t2) { XCTAssertEqual(a, b, accuracy: 1e-4 * abs(a)) }
  }

  func testTheSynthesisNetworkTrainsOnTwoRanksAsInOneProcess() throws {
    // The texts (chars, cmask) are cut into the ranks' shards with the strokes.
    let synthesis = ["--synthesis", "--window", "2", "--max-batches", "3"]
    try train("one", synthesis)
    let two = try train("two", ranks: 2, synthesis + ["--distributed"])
    XCTAssertTrue(two.contains("data-parallel: 2 MPI ranks"), two)
    XCTAssertLessThanOrEqual(try largestDifference("one", "two"), tolerance)
  }

  func testABatchSmallerThanTheRanksIsRefusedOnEveryRank() throws {
    let r = try SketchProcess.run(
      ["train"] + flags + ["--bs", "1", "--max-batches", "1", "--distributed"], in: dir, shell: MPIRun.shell(ranks: 2))
    XCTAssertNotEqual(r.status, 0, r.output)
    XCTAssertTrue(r.output.contains("--bs 1 is smaller than the number of ranks (2)"), r.output)
    XCTAssertFalse(r.output.contains("Fatal error"), r.output)
  }

  func testACheckpointContinuesWithAnyNumberOfRanks() throws {
    try train("straight", ["--max-batches", "8"])
    try train("from2", ranks: 2, ["--max-batches", "4", "--distributed"])
    let on1 = try train("from2", ["--max-batches", "8", "--model", "continue"])
    XCTAssertTrue(on1.contains("continuing"), on1)
    try train("from1", ["--max-batches", "4"])
    let on2 = try train("from1", ranks: 2, ["--max-batches", "8", "--model", "continue", "--distributed"])
    XCTAssertTrue(on2.contains("continuing"), on2)
    for out in ["from2", "from1"] {
      let c = try Checkpoint.read(dir.appendingPathComponent("\(out)/\(experiment)/model.h5").path)
      XCTAssertEqual(c.position.step, 8, out)
      XCTAssertLessThanOrEqual(try largestDifference("straight", out), tolerance, out)
    }
  }

  func testRanksThatDivergeStopTheJobWithTheRankNamed() throws {
    // Rank 1 started with another learning rate (mpirun's MPMD form: two programs, one rank each):
    // its parameters leave rank 0's at the first step, and the check before the first save sees it.
    let common = flags + ["--max-batches", "20", "--save-every", "2", "--distributed"]
    let line =
      MPIRun.shell(ranks: 1).replacingOccurrences(of: "\"$S\" \"$@\"", with: "")
      + "\"$S\" train \(common.joined(separator: " ")) --lr 1e-4 : -np 1 \"$S\" train \(common.joined(separator: " ")) --lr 1e-2"
    let r = try SketchProcess.run([], in: dir, shell: line)
    XCTAssertNotEqual(r.status, 0, r.output)
    XCTAssertTrue(r.output.contains("step 2: the parameters of rank 1 ("), r.output)
    XCTAssertTrue(r.output.contains("differ from rank 0's"), r.output)
    XCTAssertTrue(r.output.contains("rank 0 of 2: error"), r.output)
    XCTAssertFalse(r.output.contains("Fatal error"), r.output)
    // Nothing was saved after the divergence was seen.
    XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(experiment)/model.h5").path))
  }

  func testSIGTERMToMpirunStopsEveryRankAfterOneStepAndSaves() throws {
    let job = try SketchProcess.Running(
      ["train"] + flags + [
        "--max-batches", "100000", "--save-every", "100000", "--test-every", "100000", "--distributed",
      ],
      in: dir, log: dir.appendingPathComponent("mpirun.log"), shell: MPIRun.shell(ranks: 2))
    let folder = dir.appendingPathComponent(experiment)
    SketchProcess.waitFor("step 10 in metrics.jsonl", limit: 120) {
      TinyRun.metrics(folder).contains { ($0["step"] as? Int ?? 0) >= 10 } || !job.process.isRunning
    }
    job.signal(SIGTERM)
    let (status, output) = job.wait(limit: 120)
    XCTAssertNotEqual(status, 0, output)
    XCTAssertTrue(output.contains("interrupted (SIGTERM): saved"), output)
    let saved = try Checkpoint.read(folder.appendingPathComponent("model.h5").path)
    let logged = TinyRun.metrics(folder).compactMap { $0["step"] as? Int }.max() ?? 0
    XCTAssertGreaterThanOrEqual(saved.position.step, 10)
    XCTAssertGreaterThanOrEqual(saved.position.step, logged)
  }

  func testARankThatHangsStopsTheJobAfterTheMPITimeout() throws {
    let tag = UUID().uuidString
    let job = try SketchProcess.Running(
      ["train"] + flags + [
        "--max-batches", "100000", "--save-every", "5", "--test-every", "100000", "--distributed", "--mpi-timeout",
        "10",
      ], in: dir, log: dir.appendingPathComponent("mpirun.log"), shell: MPIRun.shell(ranks: 2, tag: tag))
    let folder = dir.appendingPathComponent(experiment)
    SketchProcess.waitFor("step 10 in metrics.jsonl", limit: 120) {
      TinyRun.metrics(folder).contains { ($0["step"] as? Int ?? 0) >= 10 } || !job.process.isRunning
    }
    let stopped = MPIRun.pids(tag: tag, rank: 1)
    XCTAssertEqual(stopped.count, 1, job.output)
    for pid in stopped { kill(pid, SIGSTOP) }  // alive, but never reaches the next all-reduce
    let (status, output) = job.wait(limit: 180)
    for pid in MPIRun.pids(tag: tag, rank: 1) + MPIRun.pids(tag: tag, rank: 0) {
      XCTFail("rank process \(pid) outlived the job")
      kill(pid, SIGKILL)
    }
    XCTAssertNotEqual(status, 0, output)
    XCTAssertTrue(output.contains("rank 0: error: MPI_Allreduce has waited 10 s for the other ranks"), output)
    let saved = try Checkpoint.read(folder.appendingPathComponent("model.h5").path)
    XCTAssertGreaterThanOrEqual(saved.position.step, 5)
  }

  func testAKilledRankStopsTheJobAndTheLastCheckpointLoads() throws {
    let tag = UUID().uuidString
    let log = dir.appendingPathComponent("mpirun.log")
    let job = try SketchProcess.Running(
      ["train"] + flags + ["--max-batches", "100000", "--save-every", "5", "--test-every", "100000", "--distributed"],
      in: dir, log: log, shell: MPIRun.shell(ranks: 2, tag: tag))
    let metrics = dir.appendingPathComponent("\(experiment)/metrics.jsonl")
    SketchProcess.waitFor("step 10 in metrics.jsonl", limit: 120) {
      TinyRun.metrics(metrics.deletingLastPathComponent()).contains { ($0["step"] as? Int ?? 0) >= 10 }
        || !job.process.isRunning
    }
    let victims = MPIRun.pids(tag: tag, rank: 1)
    XCTAssertEqual(victims.count, 1, job.output)
    for pid in victims { kill(pid, SIGKILL) }
    let (status, output) = job.wait(limit: 120)
    XCTAssertNotEqual(status, 0, output)
    XCTAssertTrue(output.contains("rank 1"), output)
    XCTAssertTrue(MPIRun.pids(tag: tag, rank: 0).isEmpty, "rank 0 still runs after the job ended")
    let saved = try Checkpoint.read(dir.appendingPathComponent("\(experiment)/model.h5").path)
    XCTAssertGreaterThanOrEqual(saved.position.step, 5)
    XCTAssertEqual(saved.position.step % 5, 0)
    // The run continues from it, here in one process.
    let more = try SketchProcess.run(
      ["train"] + flags + ["--max-batches", "\(saved.position.step + 2)", "--model", "continue"], in: dir)
    XCTAssertEqual(more.status, 0, more.output)
    XCTAssertEqual(
      try Checkpoint.read(dir.appendingPathComponent("\(experiment)/model.h5").path).position.step,
      saved.position.step + 2)
  }
}
