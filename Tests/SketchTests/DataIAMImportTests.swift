import Codegen
import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// A fresh empty folder for a data test (removed by the caller).
func makeDataTestFolder(_ name: String) throws -> String {
  let path = NSTemporaryDirectory() + "sketch-data-tests-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Writes `text` (UTF-8) to `path`, creating the folders above it.
func writeDataFixture(_ text: String, to path: String) throws {
  try FileManager.default.createDirectory(
    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
  try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

/// An IAM-OnDB lineStrokes document with the given strokes of (x, y) points.
func iamXML(_ strokes: [[(Int, Int)]], encoding: String = "ISO-8859-1") -> String {
  var xml = """
    <?xml version="1.0" encoding="\(encoding)"?>
    <WhiteboardCaptureSession>
      <WhiteboardDescription>
        <SensorLocation corner="top_left"/>
        <DiagonallyOppositeCoords x="6512" y="1376"/>
      </WhiteboardDescription>
      <!-- a comment -->
      <StrokeSet>

    """
  var time = 100.0
  for stroke in strokes {
    xml += "    <Stroke colour=\"black\" start_time=\"\(time)\" end_time=\"\(time + 1)\">\n"
    for (x, y) in stroke {
      xml += "      <Point x=\"\(x)\" y=\"\(y)\" time=\"\(time)\"/>\n"
      time += 0.01
    }
    xml += "    </Stroke>\n"
  }
  return xml + "  </StrokeSet>\n</WhiteboardCaptureSession>\n"
}

/// The IAM-OnDB importer: XML fixtures checked point by point, and bad input.
final class DataIAMImportTests: XCTestCase {
  private var folder = ""

  override func setUpWithError() throws { folder = try makeDataTestFolder("iam") }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

  /// Lines of the fixture: form a01-000u lines 1 and 2, form b02-117 line 1.
  static let lines: [String: [[(Int, Int)]]] = [
    // Several strokes, one of them a single point (a dot) in the middle.
    "lineStrokes/a01/a01-000/a01-000u-01.xml": [
      [(1073, 1058), (1075, 1060), (1080, 1064)], [(1100, 1040)], [(1110, 1062), (1112, 1070), (1120, 1071)],
    ],
    // Starts with a single-point stroke: the origin moves to the next point.
    "lineStrokes/a01/a01-000/a01-000u-02.xml": [[(500, 900)], [(510, 905), (515, 903)], [(530, 910), (531, 911)]],
    // One stroke.
    "lineStrokes/b02/b02-117/b02-117-01.xml": [[(7, 8), (9, 8), (9, 12), (4, 3)]],
  ]

  /// The rows Sketch's convention gives for `strokes`, computed by hand: the move to every point after
  /// the first (leading one-point strokes dropped), pen 1 when the point ends its stroke.
  static func expectedRows(_ strokes: [[(Int, Int)]]) -> [(Double, Double, Double)] {
    var strokes = strokes
    while strokes.count > 1 && strokes[0].count == 1 { strokes.removeFirst() }
    var points: [(Int, Int, Bool)] = []
    for stroke in strokes {
      for (k, p) in stroke.enumerated() { points.append((p.0, p.1, k == stroke.count - 1)) }
    }
    return (1..<points.count).map {
      (Double(points[$0].0 - points[$0 - 1].0), Double(points[$0].1 - points[$0 - 1].1), points[$0].2 ? 1 : 0)
    }
  }

  func writeFixtures(in root: String) throws {
    for (path, strokes) in Self.lines { try writeDataFixture(iamXML(strokes), to: root + "/" + path) }
    // Transcriptions: UTF-8 with non-ASCII characters, and a Latin-1 file (as IAM-OnDB's are).
    try writeDataFixture(
      "OCR:\n\nignored\n\nCSR:\n\nA MOVE to stop Mr. Gaitskell — café naïve\nZürich’s 3½ “quotes”\n",
      to: root + "/ascii/a01/a01-000/a01-000u.txt")
    let latin1: [UInt8] = Array("CSR:\n\nSchr".utf8) + [0xF6] + Array("dinger's gar".utf8) + [0xE7] + Array("on\n".utf8)
    try FileManager.default.createDirectory(atPath: root + "/ascii/b02/b02-117", withIntermediateDirectories: true)
    try Data(latin1).write(to: URL(fileURLWithPath: root + "/ascii/b02/b02-117/b02-117.txt"))
  }

  func testImportIsCheckedPointByPoint() throws {
    try writeFixtures(in: folder)
    let output = folder + "/iam.h5"
    let summary = try IAMImporter(
      input: folder + "/lineStrokes", output: output, ascii: folder + "/ascii", seed: 3, quiet: true
    ).run()
    XCTAssertEqual(summary.written, 3)
    XCTAssertEqual(summary.files, 3)
    XCTAssertTrue(summary.skipped.isEmpty)
    XCTAssertEqual(summary.untranscribed, 0)

    let dataset = try StrokeDataset(path: output)
    XCTAssertEqual(dataset.layout, .sketch)
    XCTAssertEqual(dataset.kind, "iam-ondb")
    XCTAssertEqual(dataset.count, 3)
    XCTAssertEqual(dataset.range(.train), 0..<2)  // int(0.9 * 3)
    XCTAssertEqual(dataset.range(.test), 2..<3)
    let sources = try XCTUnwrap(try dataset.sources())
    let texts = try XCTUnwrap(try dataset.transcriptions())
    XCTAssertEqual(Set(sources), Set(Self.lines.keys.map { String($0.dropFirst("lineStrokes/".count)) }))

    // The normalisation: population standard deviation of every dx and dy.
    let all = Self.lines.values.flatMap { Self.expectedRows($0) }
    func std(_ values: [Double]) -> Double {
      let mean = values.reduce(0, +) / Double(values.count)
      return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
    }
    let sx = std(all.map(\.0))
    let sy = std(all.map(\.1))
    let stored = try XCTUnwrap(dataset.std)
    XCTAssertEqual(stored.x, sx, accuracy: 1e-9)
    XCTAssertEqual(stored.y, sy, accuracy: 1e-9)

    for index in 0..<dataset.count {
      let source = "lineStrokes/" + sources[index]
      let expected = Self.expectedRows(try XCTUnwrap(Self.lines[source]))
      XCTAssertEqual(dataset.lengths[index], expected.count, source)
      let rows = try dataset.rows(index)
      XCTAssertEqual(rows.count, 3 * expected.count)
      for (k, row) in expected.enumerated() {
        XCTAssertEqual(Double(rows[3 * k]), row.0 / sx, accuracy: 1e-5, "\(source) row \(k) dx")
        XCTAssertEqual(Double(rows[3 * k + 1]), row.1 / sy, accuracy: 1e-5, "\(source) row \(k) dy")
        XCTAssertEqual(Double(rows[3 * k + 2]), row.2, "\(source) row \(k) pen")
      }
      switch source {
      case "lineStrokes/a01/a01-000/a01-000u-01.xml":
        XCTAssertEqual(texts[index], "A MOVE to stop Mr. Gaitskell — café naïve")
        // The dot: reached with the pen up (previous row pen 1) and ending its own stroke.
        XCTAssertEqual(rows[3 * 1 + 2], 1)
        XCTAssertEqual(rows[3 * 2 + 2], 1)
        XCTAssertEqual(rows[3 * 3 + 2], 0)
        XCTAssertEqual(expected.count, 6)
      case "lineStrokes/a01/a01-000/a01-000u-02.xml":
        XCTAssertEqual(texts[index], "Zürich’s 3½ “quotes”")
        XCTAssertEqual(expected.count, 3)  // the leading dot is dropped
      default:
        XCTAssertEqual(texts[index], "Schrödinger's garçon")
      }
    }
    // The padding of the notebook: (0, 0, 1) past each line's end.
    let file = try HDF5File.open(output)
    let features = try file.read("features")
    XCTAssertEqual(features.shape, [3, 6, 3])
    let values = floats(features)
    let short = try XCTUnwrap(dataset.lengths.firstIndex(of: 3))
    XCTAssertEqual(Array(values[(short * 18 + 9)..<(short * 18 + 12)]), [0, 0, 1])
    try file.close()

    // The same import from a .tar.gz archive gives the same data.
    let archive = folder + "/lineStrokes-all.tar.gz"
    try runTar(["-czf", archive, "-C", folder, "lineStrokes"])
    let fromArchive = folder + "/iam-archive.h5"
    _ = try IAMImporter(input: archive, output: fromArchive, seed: 3, quiet: true).run()
    let again = try StrokeDataset(path: fromArchive)
    XCTAssertEqual(again.lengths, dataset.lengths)
    for index in 0..<3 { XCTAssertEqual(try again.rows(index), try dataset.rows(index)) }
  }

  func testBadInputGivesClearErrorsOrCountedSkipsAndNoPartialOutput() throws {
    let root = folder + "/lineStrokes"
    try writeDataFixture(iamXML([[(1, 2), (3, 4), (5, 9)]]), to: root + "/a/good-01.xml")
    try writeDataFixture(String(iamXML([[(1, 2), (3, 4)]]).dropLast(40)), to: root + "/a/truncated-01.xml")
    try writeDataFixture(
      iamXML([[(1, 2), (3, 4)]]).replacingOccurrences(of: "<Point x=\"3\" y=\"4\"", with: "<Point x=\"3\""),
      to: root + "/a/missing-01.xml")
    try writeDataFixture(iamXML([]), to: root + "/a/empty-01.xml")
    try writeDataFixture(iamXML([[(1, 2), (3, 40_000_000)]]), to: root + "/a/absurd-01.xml")
    try writeDataFixture(
      iamXML([[(1, 2), (3, 4)]]).replacingOccurrences(of: "x=\"3\"", with: "x=\"3e\""), to: root + "/a/nan-01.xml")
    try writeDataFixture("<html><body/></html>", to: root + "/a/other-01.xml")

    let output = folder + "/out.h5"
    let summary = try IAMImporter(input: root, output: output, quiet: true).run()
    XCTAssertEqual(summary.written, 1)
    XCTAssertEqual(summary.skipped.count, 6)
    let reasons = Dictionary(
      uniqueKeysWithValues: summary.skipped.map {
        (($0.path as NSString).lastPathComponent, $0.reason)
      })
    XCTAssertTrue(reasons["truncated-01.xml"]!.contains("malformed XML"), reasons["truncated-01.xml"]!)
    XCTAssertTrue(reasons["truncated-01.xml"]!.contains("cut short"), reasons["truncated-01.xml"]!)
    XCTAssertTrue(reasons["missing-01.xml"]!.contains("has no 'y' attribute"), reasons["missing-01.xml"]!)
    XCTAssertTrue(reasons["empty-01.xml"]!.contains("empty <StrokeSet>"), reasons["empty-01.xml"]!)
    XCTAssertTrue(reasons["absurd-01.xml"]!.contains("absurd coordinate y=40000000"), reasons["absurd-01.xml"]!)
    XCTAssertTrue(reasons["nan-01.xml"]!.contains("not a number"), reasons["nan-01.xml"]!)
    XCTAssertTrue(reasons["other-01.xml"]!.contains("no <StrokeSet>"), reasons["other-01.xml"]!)
    XCTAssertTrue(reasons["missing-01.xml"]!.contains("line "), "errors give the line number")

    // Nothing usable: an error, and no output file (nor a temporary one) appears.
    try FileManager.default.removeItem(atPath: root + "/a/good-01.xml")
    let failed = folder + "/failed/out.h5"
    try FileManager.default.createDirectory(atPath: folder + "/failed", withIntermediateDirectories: true)
    XCTAssertThrowsError(try IAMImporter(input: root, output: failed, quiet: true).run()) { error in
      XCTAssertTrue("\(error)".contains("no usable lines among 6 .xml files"), "\(error)")
    }
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/failed"), [])

    // An empty folder.
    try FileManager.default.createDirectory(atPath: folder + "/empty", withIntermediateDirectories: true)
    XCTAssertThrowsError(try IAMImporter(input: folder + "/empty", output: failed, quiet: true).run()) { error in
      XCTAssertTrue("\(error)".contains("no .xml files found"), "\(error)")
      XCTAssertTrue("\(error)".contains("hint:"), "\(error)")
    }
    // A missing path, and a file that is neither a folder nor an archive.
    XCTAssertThrowsError(try IAMImporter(input: folder + "/nope", output: failed, quiet: true).run()) { error in
      XCTAssertTrue("\(error)".contains("no such file or folder"), "\(error)")
    }
    XCTAssertThrowsError(try IAMImporter(input: root + "/a/nan-01.xml", output: failed, quiet: true).run())

    // A truncated archive.
    try writeDataFixture(iamXML([[(1, 2), (3, 4), (5, 9)]]), to: folder + "/ok/lineStrokes/a/good-01.xml")
    for k in 0..<40 {
      try writeDataFixture(iamXML([[(k, 2), (3, k), (5, 9)]]), to: folder + "/ok/lineStrokes/a/more-\(k).xml")
    }
    let archive = folder + "/lineStrokes-all.tar.gz"
    try runTar(["-czf", archive, "-C", folder + "/ok", "lineStrokes"])
    let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: archive))
    XCTAssertThrowsError(try IAMImporter(input: archive, output: failed, quiet: true).run()) { error in
      XCTAssertTrue("\(error)".contains("truncated or corrupt"), "\(error)")
    }
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/failed"), [])
  }

  private func runTar(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0)
  }
}
