import Foundation
import XCTest

@testable import Sketch

/// The legibility measure: the character error rate by hand-checked cases, and tesseract (installed
/// by `make test`'s dependencies) reading lines of a small built-in dataset end to end.
final class LegibilityTests: XCTestCase {
  func testCharacterErrorRate() {
    XCTAssertEqual(Legibility.characterErrorRate(reference: "the cat", read: "the cat"), 0)
    XCTAssertEqual(Legibility.characterErrorRate(reference: "The  Cat", read: " the cat\n"), 0, "case and spaces")
    XCTAssertEqual(Legibility.characterErrorRate(reference: "kitten", read: "sitting"), 3.0 / 6.0)
    XCTAssertEqual(Legibility.characterErrorRate(reference: "abc", read: ""), 1)
    XCTAssertEqual(Legibility.characterErrorRate(reference: "ab", read: "xyzw"), 2, "more than 1 when much is added")
    XCTAssertEqual(Legibility.characterErrorRate(reference: "", read: ""), 0)
  }

  /// An image tesseract can read: black text on white at the calibrated size.
  func testImageSizeFollowsTheCalibration() {
    let img = Legibility.image([[0, 0, 100, 10], [50, -20, 60, 30]])
    XCTAssertEqual(img.height, 135 + 80)
    XCTAssertEqual(img.width, Int((100 * 135.0 / 50).rounded(.up)) + 80, "x spans 100 units at the scale of a 50-unit height")
  }

  func testTesseractReadsTheDatasetsOwnLines() throws {
    let dir = try TinyRun.folderWithDataset("legibility")
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try SketchProcess.run(
      ["eval", "legibility", "--data", "d.h5", "--lines", "3", "--split", "train", "--verbose"], in: dir)
    XCTAssertEqual(r.status, 0, r.output)
    let line = try XCTUnwrap(r.output.split(separator: "\n").first { $0.hasPrefix("character error rate") }, r.output)
    let rate = try XCTUnwrap(Double(line.split(separator: " ")[3]), r.output)
    // Connected script at this size reads at about 0.3 (0.29 over 30 lines of the built-in dataset).
    XCTAssertLessThan(rate, 0.75, r.output)
    XCTAssertEqual(r.output.components(separatedBy: "  ->  ").count - 1, 3, r.output)
    let bad = try SketchProcess.run(["eval", "legibility", "--data", "d.h5", "--lines", "0"], in: dir)
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.output.contains("--lines must be at least 1"), bad.output)
  }
}
