import Codegen
import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// Issue 12, finding 4 and the missing-folder message of 13: outputs are written under a temporary
/// name and renamed, but only over a missing path or a regular file (never a FIFO, a device, a link or
/// an input of the same command), keeping the mode of the file replaced; a missing folder is named.
final class ReliabilityOutputTests: XCTestCase {
  private var folder = ""

  override func setUpWithError() throws { folder = try makeDataTestFolder("outputs") }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

  private func kind(_ path: String) -> mode_t {
    var info = stat()
    XCTAssertEqual(lstat(path, &info), 0)
    return info.st_mode & S_IFMT
  }

  func testFIFOTargetIsRefusedAndLeftAlone() throws {
    let fifo = folder + "/pipe"
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    XCTAssertThrowsError(try AtomicFile.write(text: "x", to: fifo)) {
      XCTAssertEqual(
        "\($0)",
        "cannot write '\(fifo)': is a FIFO (named pipe); only a regular file is replaced by an output, give another path"
      )
    }
    XCTAssertThrowsError(try PNGImage(width: 1, height: 1).write(to: fifo))
    XCTAssertThrowsError(try HDF5File.create(fifo))
    XCTAssertEqual(kind(fifo), S_IFIFO)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["pipe"], "no temporary file left")
  }

  func testSymbolicLinkAndFolderTargetsAreRefused() throws {
    let real = folder + "/real.txt"
    try AtomicFile.write(text: "kept", to: real)
    let link = folder + "/link.txt"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
    XCTAssertThrowsError(try AtomicFile.write(text: "new", to: link)) {
      XCTAssertTrue("\($0)".contains("is a symbolic link; only a regular file is replaced"), "\($0)")
    }
    XCTAssertEqual(kind(link), S_IFLNK)
    XCTAssertEqual(try String(contentsOfFile: real, encoding: .utf8), "kept")
    try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: false)
    XCTAssertThrowsError(try AtomicFile.write(text: "x", to: folder + "/sub")) {
      XCTAssertTrue("\($0)".contains("is a folder"), "\($0)")
    }
  }

  func testReplacedFileKeepsItsMode() throws {
    let path = folder + "/secret.h5"
    try AtomicFile.write(text: "old", to: path)
    XCTAssertEqual(chmod(path, 0o600), 0)
    try AtomicFile.write(text: "new", to: path)
    var info = stat()
    XCTAssertEqual(stat(path, &info), 0)
    XCTAssertEqual(info.st_mode & 0o777, 0o600)
    // HDF5 files (datasets, models) too.
    let file = try HDF5File.create(path)
    try file.write(Tensor(shape: [1], [Float(1)]), to: "x")
    try file.commit()
    XCTAssertEqual(stat(path, &info), 0)
    XCTAssertEqual(info.st_mode & 0o777, 0o600)
  }

  func testOutputThatIsAnInputIsRefusedBeforeAnyWork() throws {
    let svg = folder + "/drawings"
    try FileManager.default.createDirectory(atPath: svg, withIntermediateDirectories: true)
    let input = svg + "/a.svg"
    let text = "<svg xmlns=\"http://www.w3.org/2000/svg\"><path d=\"M0 0 L10 10 L20 0\"/></svg>"
    try text.write(toFile: input, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try SVGImporter(input: svg, output: input, quiet: true).run()) {
      XCTAssertEqual(
        "\($0)",
        "\(input): is also an input of this command; refusing to overwrite it, give another "
          + "output path\nhint: give -o a new file or a regular file that is not an input")
    }
    XCTAssertEqual(try String(contentsOfFile: input, encoding: .utf8), text)
    // The same through another path to the same file.
    XCTAssertThrowsError(try SVGImporter(input: svg, output: svg + "/../drawings/./a.svg", quiet: true).run())
    XCTAssertEqual(try String(contentsOfFile: input, encoding: .utf8), text)
  }

  func testMissingOutputFolderIsNamedWithoutInternals() throws {
    let path = folder + "/missing/d.h5"
    for attempt in [{ _ = try HDF5File.create(path) }, { try AtomicFile.write(text: "x", to: path) }] {
      XCTAssertThrowsError(try attempt()) {
        XCTAssertEqual(
          "\($0)", "cannot write '\(path)': the folder '\(self.folder)/missing' does not exist; create it first")
      }
    }
    let svg = folder + "/in"
    try FileManager.default.createDirectory(atPath: svg, withIntermediateDirectories: true)
    try "<svg><path d=\"M0 0 L1 1\"/></svg>".write(toFile: svg + "/a.svg", atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try SVGImporter(input: svg, output: path, quiet: true).run()) {
      XCTAssertFalse("\($0)".contains(".tmp-") || "\($0)".contains("HDF5"), "\($0)")
      XCTAssertTrue("\($0)".contains("the folder '\(self.folder)/missing' does not exist"), "\($0)")
    }
  }
}
