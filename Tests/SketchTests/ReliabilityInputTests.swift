import Codegen
import Foundation
import XCTest

@testable import Sketch

/// Issue 12, findings 8, 9 and 14 (inputs): deep nesting is refused before it can overflow the stack,
/// SVG drawings obey the importers' shared limits (finite, within ±1e6 after transforms, at most
/// StrokeLimits.pointsPerFile points), and a FIFO given as an input is refused, never read.
final class ReliabilityInputTests: XCTestCase {
  private var folder = ""

  override func setUpWithError() throws { folder = try makeDataTestFolder("inputs") }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

  private func svg(_ body: String) -> String {
    "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\">\(body)</svg>"
  }

  private func nested(_ depth: Int, _ inner: String = "") -> String {
    String(repeating: "<g>", count: depth) + inner + String(repeating: "</g>", count: depth)
  }

  private func write(_ text: String, _ name: String) throws -> String {
    let path = folder + "/" + name
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  // MARK: Finding 8: deep nesting

  func testDeepNestingIsAnErrorNotAStackOverflow() {
    let document = Array(("<a>" + String(repeating: "<b>", count: 50_000) + "</a>").utf8)
    XCTAssertThrowsError(try MarkupParser.parse(document)) {
      XCTAssertEqual("\($0)", "line 1: <b> is nested 129 elements deep, more than the 128 this reader accepts")
    }
  }

  func testDeeplyNestedSVGIsSkippedAndTheRestImported() throws {
    _ = try write(svg(nested(60_000, "<path d=\"M0 0 L1 1\"/>")), "svg/deep.svg")
    // The deepest accepted nesting imports (on the importer's worker threads, in a debug build).
    // (<svg>, the groups and <path>: exactly StrokeLimits.xmlDepth elements deep.)
    _ = try write(svg(nested(StrokeLimits.xmlDepth - 2, "<path d=\"M0 0 L5 5 L9 0\"/>")), "svg/ok.svg")
    let summary = try SVGImporter(input: folder + "/svg", output: folder + "/d.h5", quiet: true).run()
    XCTAssertEqual(summary.written, 1)
    XCTAssertEqual(summary.skipped.map { ($0.path as NSString).lastPathComponent }, ["deep.svg"])
    XCTAssertEqual(
      summary.skipped.first?.reason,
      "malformed XML, line 2: <g> is nested 129 elements deep, more than the 128 this reader accepts")
  }

  func testDeeplyNestedIAMFileIsSkipped() throws {
    _ = try write(iamXML([[(1, 2), (3, 4), (5, 2)]]), "iam/a01-000u-01.xml")
    _ = try write("<WhiteboardCaptureSession>" + nested(50_000) + "</WhiteboardCaptureSession>", "iam/a01-000u-02.xml")
    let summary = try IAMImporter(input: folder + "/iam", output: folder + "/i.h5", maxPoints: 0, quiet: true).run()
    XCTAssertEqual(summary.written, 1)
    XCTAssertEqual(summary.skipped.count, 1)
    XCTAssertTrue(summary.skipped[0].reason.contains("nested 129 elements deep"), summary.skipped[0].reason)
  }

  // MARK: Finding 9: non-finite and huge SVG values, rows per file

  func testNonFiniteOrHugeSVGPointsAreRefused() throws {
    let cases: [(String, String)] = [
      (
        "<g transform=\"scale(1e300)\"><path transform=\"scale(1e300)\" d=\"M1 1 L2 2\"/></g>",
        "line 3: <path>: a point (inf, inf) that is not finite after transforms"
      ),
      ("<path d=\"M-1e308 0 L1e308 0\"/>", "line 3: <path>: a point (-1e+308, 0.0) beyond ±1000000 after transforms"),
      (
        "<line x1=\"0\" y1=\"0\" x2=\"2e6\" y2=\"0\"/>",
        "line 3: <line>: a point (2000000.0, 0.0) beyond ±1000000 after transforms"
      ),
    ]
    for (body, message) in cases {
      XCTAssertThrowsError(try SVGDrawing.strokes(fromSVG: Array(svg("\n" + body).utf8), tolerance: 0.5)) {
        XCTAssertEqual(($0 as? SVGError)?.message, message, body)
      }
    }
    // Through the importer: the file is skipped, the dataset holds only finite values.
    _ = try write(svg(cases[0].0), "svg/inf.svg")
    _ = try write(svg("<path d=\"M0 0 L3 4 L6 0\"/>"), "svg/ok.svg")
    let output = folder + "/d.h5"
    let summary = try SVGImporter(input: folder + "/svg", output: output, quiet: true).run()
    XCTAssertEqual(summary.written, 1)
    XCTAssertEqual(summary.skipped.count, 1)
    let dataset = try StrokeDataset(path: output)
    XCTAssertTrue(try dataset.rows(0).allSatisfy(\.isFinite))
  }

  func testPointsPerFileAreCappedWhileFlattening() throws {
    // A tiny tolerance flattens one cubic to 2^18 points: refused after that command, not after the file.
    XCTAssertThrowsError(
      try SVGDrawing.strokes(fromSVG: Array(svg("<path d=\"M0 0 C0 100 100 100 100 0\"/>").utf8), tolerance: 1e-300)
    ) {
      XCTAssertEqual(
        ($0 as? SVGError)?.message,
        "line 2: <path>: more than 100000 points in one file (the limit of one sequence)")
    }
    // Many elements together.
    let line = "<polyline points=\"" + (0..<1_000).map { "\($0) \($0 % 7)" }.joined(separator: " ") + "\"/>"
    XCTAssertThrowsError(
      try SVGDrawing.strokes(fromSVG: Array(svg(String(repeating: line, count: 101)).utf8), tolerance: 0.5)
    ) {
      XCTAssertTrue(
        ($0 as? SVGError)?.message.hasSuffix("more than 100000 points in one file (the limit of one sequence)") == true,
        "\($0)")
    }
    XCTAssertEqual(
      try SVGDrawing.strokes(fromSVG: Array(svg(String(repeating: line, count: 100)).utf8), tolerance: 0.5).count, 100)
  }

  // MARK: Finding 14: FIFOs as inputs

  func testFIFOInputsAreRefusedNotRead() throws {
    let fifo = folder + "/d.h5"
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    XCTAssertThrowsError(try StrokeDataset(path: fifo)) {
      XCTAssertTrue("\($0)".hasPrefix("\(fifo): is a FIFO (named pipe), not a regular file"), "\($0)")
    }
    XCTAssertThrowsError(try Checkpoint.read(fifo)) {
      XCTAssertEqual(
        "\($0)", "\(fifo) is a FIFO (named pipe), not a regular file; give a model file or an experiment folder")
    }
    // A FIFO among the drawings is skipped like a broken file.
    _ = try write(svg("<path d=\"M0 0 L3 4\"/>"), "svg/ok.svg")
    XCTAssertEqual(mkfifo(folder + "/svg/pipe.svg", 0o600), 0)
    let summary = try SVGImporter(input: folder + "/svg", output: folder + "/out.h5", quiet: true).run()
    XCTAssertEqual(summary.written, 1)
    XCTAssertEqual(
      summary.skipped.map(\.reason), ["\(folder)/svg/pipe.svg: is a FIFO (named pipe), not a regular file"])
  }

  /// The commands, as a user runs them: each exits non-zero with the message, none blocks on the FIFO.
  func testCommandsRefuseAFIFOAndExit() throws {
    let fifo = folder + "/pipe.h5"
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    let runs: [[String]] = [
      ["data", "show", fifo],
      ["sample", "--model", fifo, "--steps", "2", "--grid", "1", "-o", folder],
      [
        "train", "--data", fifo, "--dim", "4", "--depth", "1", "--bs", "2", "--max-length", "10", "--mix-dim", "2",
        "--max-batches", "1", "--output", folder + "/runs",
      ],
    ]
    for arguments in runs {
      let result = try SketchExecutable.run(arguments, in: folder, cache: folder + "/cache", timeout: 120)
      XCTAssertFalse(result.timedOut, "\(arguments) blocked on the FIFO")
      XCTAssertTrue(result.exitedCleanly, "\(arguments): \(result.output)")
      XCTAssertNotEqual(result.status, 0, "\(arguments)")
      XCTAssertTrue(
        result.output.contains("is a FIFO (named pipe), not a regular file"), "\(arguments): \(result.output)")
    }
  }
}
