import Codegen
import Foundation
import XCTest

@testable import Sketch

/// Issue 12, findings 1, 2 and 10: claiming an experiment folder refuses to replace an earlier run
/// unless told to, holds an exclusive lock, and removes the temporary files of killed runs.
final class ReliabilityRunFolderTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-runfolder-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func write(_ text: String, _ name: String) throws {
    let url = dir.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
  }

  func contents(_ name: String) -> String? {
    try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
  }

  func message(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    XCTFail("no error")
    return ""
  }

  func testANewRunDoesNotReplaceAnEarlierOne() throws {
    try write("{\"step\":10}\n", "metrics.jsonl")
    try write("model", "model.h5")
    let m = message { _ = try RunFolder.claim(dir, mode: .fresh) }
    for part in [
      dir.path, "already holds a training run", "--model continue", "another --name or --output", "--overwrite",
    ] {
      XCTAssertTrue(m.contains(part), "'\(part)' not in: \(m)")
    }
    XCTAssertEqual(contents("metrics.jsonl"), "{\"step\":10}\n")
    XCTAssertEqual(contents("model.h5"), "model")
    // A metrics file alone (a run killed before its first save) is a run too; an empty one is not.
    try FileManager.default.removeItem(at: dir.appendingPathComponent("model.h5"))
    XCTAssertTrue(message { _ = try RunFolder.claim(dir, mode: .fresh) }.contains("already holds a training run"))
    try write("", "metrics.jsonl")
    XCTAssertNoThrow(try RunFolder.claim(dir, mode: .fresh))
  }

  func testOverwriteRemovesEveryFileOfTheEarlierRun() throws {
    for name in [
      "model.h5", "metrics.jsonl", "loss.png", "loss.svg", "sketch.png", "pen.png", "sketch.svg",
      "samples/sketch-000100.png",
    ] {
      try write("old", name)
    }
    try write("mine", "notes.txt")
    let claimed = try RunFolder.claim(dir, mode: .overwrite)
    let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    XCTAssertEqual(left, [RunFolder.lockName, "notes.txt"])
    withExtendedLifetime(claimed) {}
  }

  func testContinueNeedsASavedModel() throws {
    let missing = dir.appendingPathComponent("nothing-here")
    let m1 = message { _ = try RunFolder.claim(missing, mode: .resume) }
    XCTAssertTrue(m1.contains("there is no experiment folder \(missing.path) to continue"), m1)
    XCTAssertFalse(FileManager.default.fileExists(atPath: missing.path), "continue must not create the folder")
    try write("{\"step\":1}\n", "metrics.jsonl")
    let m2 = message { _ = try RunFolder.claim(dir, mode: .resume) }
    XCTAssertTrue(m2.contains("holds no saved model (model.h5)") && m2.contains("--overwrite"), m2)
  }

  func testTheFolderIsLockedWhileClaimed() throws {
    var first: RunFolder? = try RunFolder.claim(dir, mode: .fresh)
    let m = message { _ = try RunFolder.claim(dir, mode: .overwrite) }
    XCTAssertTrue(m.contains("\(dir.path) is in use by another `sketch train` (process \(getpid()))"), m)
    XCTAssertTrue(m.contains("another --name or --output"), m)
    withExtendedLifetime(first) {}
    first = nil
    XCTAssertNoThrow(try RunFolder.claim(dir, mode: .overwrite), "the lock is released with the claim")
  }

  func testTemporariesOfDeadWritersAreRemoved() throws {
    // pid_max is at most 2^22 on Linux, so these writers cannot exist; our own pid is alive.
    let dead = [".model.h5.tmp-99999999-3k2j1", "samples/.sketch-000100.png.tmp-99999998-zz9"]
    let alive = [".model.h5.tmp-\(getpid())-abc", ".model.h5.tmp-1-abc"]  // pid 1 always exists
    let other = [".model.h5.tmp-x-1", "model.h5.tmp-99999999-1", ".notes"]
    for name in dead + alive + other { try write("x", name) }
    try write("model", "model.h5")  // a run to continue (a new run would remove samples/ as a whole)
    let claimed = try RunFolder.claim(dir, mode: .resume)
    XCTAssertEqual(claimed.removedTemporaries, dead.map { dir.appendingPathComponent($0).path }.sorted())
    for name in dead { XCTAssertNil(contents(name), name) }
    for name in alive + other { XCTAssertEqual(contents(name), "x", name) }
  }

  func testTemporaryNamesParse() {
    let made = AtomicFile.temporaryPath(for: "/a/b/model.h5")
    let name = String(made.split(separator: "/").last!)
    XCTAssertEqual(AtomicFile.temporaryOwner(ofName: name)?.target, "model.h5")
    XCTAssertEqual(AtomicFile.temporaryOwner(ofName: name)?.pid, getpid())
    XCTAssertEqual(AtomicFile.temporaryOwner(ofName: ".a-b.tmp-12-x9")?.target, "a-b")
    for bad in [
      "model.h5", ".model.h5.tmp-", ".model.h5.tmp-12", ".model.h5.tmp-12-", ".tmp-12-ab", ".x.tmp-0-ab", ".x.tmp-1-A",
    ] {
      XCTAssertNil(AtomicFile.temporaryOwner(ofName: bad), bad)
    }
  }
}
