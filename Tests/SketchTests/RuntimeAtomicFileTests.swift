import Foundation
import SketchRuntime
import XCTest

/// A fresh empty directory under the system temporary directory, removed by the caller.
func makeRuntimeTestDirectory(_ name: String) throws -> String {
  let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("sketch-\(name)-\(UUID().uuidString)").path
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Checks that files are replaced only after a successful write, with no temporary files left behind.
final class RuntimeAtomicFileTests: XCTestCase {
  private var directory = ""

  override func setUpWithError() throws {
    directory = try makeRuntimeTestDirectory("atomic")
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(atPath: directory)
  }

  private func contents() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
  }

  func testWriteDataCreatesAndReplacesFile() throws {
    let target = directory + "/out.bin"
    try AtomicFile.write(data: [1, 2, 3, 255], to: target)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: target)), Data([1, 2, 3, 255]))
    try AtomicFile.write(text: "héllo\n", to: target)
    XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "héllo\n")
    XCTAssertEqual(try contents(), ["out.bin"])
  }

  func testTemporaryPathIsHiddenInTheSameDirectory() {
    let temp = AtomicFile.temporaryPath(for: "/some/dir/model.h5")
    XCTAssertTrue(
      temp.hasPrefix("/some/dir/.model.h5.tmp-\(ProcessInfo.processInfo.processIdentifier)-"), temp)
    XCTAssertNotEqual(temp, AtomicFile.temporaryPath(for: "/some/dir/model.h5"))
    XCTAssertTrue(AtomicFile.temporaryPath(for: "plain").hasPrefix(".plain.tmp-"))
  }

  func testFailingBodyLeavesOldFileAndNoTemporary() throws {
    struct Boom: Error {}
    let target = directory + "/keep.txt"
    try AtomicFile.write(text: "old", to: target)
    var seenTemporary = ""
    XCTAssertThrowsError(
      try AtomicFile.write(to: target) { temporary in
        seenTemporary = temporary
        try "partial".write(toFile: temporary, atomically: false, encoding: .utf8)
        // While the body runs, the target still holds the old contents.
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "old")
        throw Boom()
      }
    ) { XCTAssertTrue($0 is Boom) }
    XCTAssertTrue(seenTemporary.hasPrefix(directory + "/.keep.txt.tmp-"))
    XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "old")
    XCTAssertEqual(try contents(), ["keep.txt"])
  }

  func testBodyThatWritesNothingIsAnError() throws {
    let target = directory + "/none.txt"
    XCTAssertThrowsError(try AtomicFile.write(to: target) { _ in }) { error in
      XCTAssertTrue("\(error)".contains(target), "\(error)")
    }
    XCTAssertEqual(try contents(), [])
  }

  func testMissingDirectoryGivesErrorNamingPath() {
    let target = directory + "/no/such/dir/file.txt"
    XCTAssertThrowsError(try AtomicFile.write(data: [1], to: target)) { error in
      // Checked before writing: the folder is named, and no internal temporary name appears.
      XCTAssertEqual(
        "\(error)",
        "cannot write '\(target)': the folder '\(self.directory)/no/such/dir' does not exist; create it first")
    }
  }
}
