import Codegen
import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// Pages written by the shipped model (`models/writer`, on the native backend as in
/// ShippedWriterTests): two short paragraphs on a small page, so that lines wrap and pages break.
final class ShippedPageTests: XCTestCase {
  static let modelFile = ShippedWriterTests.modelFile
  static let text = """
    Dear Anna, thank you for
    the lovely letter.

    We all miss you here and the garden is full of roses.
    """
  /// A 60 x 40 mm page with 5 mm margins: at 6 mm line height about 20 characters a line, 3 or 4
  /// lines a page.
  static let page = PlotterPage(width: 60, height: 40, margin: 5)

  static func writer() throws -> (HandwritingWriter, (x: Double, y: Double)?) {
    let contents = try Checkpoint.read(modelFile)
    let alphabet = try XCTUnwrap(contents.config.alphabet).compactMap { Unicode.Scalar($0).map(Character.init) }
    let writer = try HandwritingWriter(
      model: SynthesisModel(config: contents.config, values: contents.parameters), alphabet: alphabet, mode: .native)
    return (writer, contents.scale)
  }

  /// Justified pages in the carried style: every line's ink inside the margins, justified lines'
  /// right edges at the right margin (a paragraph's last line left), first lines indented, baselines
  /// that drift within their bound, and more than one page.
  func testJustifiedPagesKeepTheirMarginsAndOneStyle() throws {
    let (writer, scale) = try Self.writer()
    var settings = PageSettings()
    settings.page = Self.page
    settings.lineHeight = 6
    settings.alignment = .justify
    settings.indent = 4
    settings.drift = PageDrift(amount: 1, seed: 2)
    let writing = PageWriting(writer: writer, settings: settings, bias: 0.75, seed: 1, dataScale: scale ?? (1, 1))
    let result = try writing.write(PageLayout.paragraphs(Self.text), primer: nil)
    for note in result.notes { print("note: \(note)") }
    print(result.lines.map { "page \($0.page + 1): \($0.text)" }.joined(separator: "\n"))
    XCTAssertGreaterThan(result.pageCount, 1, "the text does not fit on one page")
    XCTAssertEqual(
      result.lines.map(\.text).joined(separator: " "),
      PageLayout.paragraphs(Self.text).flatMap(\.words).joined(separator: " "))
    let (left, right) = (Self.page.margin, Self.page.width - Self.page.margin)
    for (k, line) in result.lines.enumerated() {
      let points = line.strokes.flatMap { $0 }
      let xs = points.map(\.x)
      let ys = points.map(\.y)
      XCTAssertGreaterThanOrEqual(xs.min()!, left + (line.firstOfParagraph ? settings.indent : 0) - 1e-9, line.text)
      XCTAssertLessThanOrEqual(xs.max()!, right + 1e-9, line.text)
      XCTAssertGreaterThanOrEqual(ys.min()!, Self.page.margin - 1e-9, line.text)
      XCTAssertLessThanOrEqual(ys.max()!, Self.page.height - Self.page.margin + 1e-9, line.text)
      let ends = k + 1 == result.lines.count || result.lines[k + 1].index == 0
      let words = line.text.split(separator: " ").count
      if !ends && words > 1 {
        XCTAssertEqual(xs.max()!, right, accuracy: 1e-6, "a justified line reaches the right margin: \(line.text)")
      }
      XCTAssertEqual(xs.min()!, left + (line.firstOfParagraph ? settings.indent : 0), accuracy: 1e-6, line.text)
      // Carried style: every piece was primed with the calibration line.
      for piece in line.segments {
        XCTAssertTrue(piece.windowText.hasPrefix(result.calibration.text + " "), piece.windowText)
      }
    }
    XCTAssertEqual(result.calibration.text, PageWriting.calibrationText)
    // The window finds the words: no more groups than words, and most spaces between words found.
    let words = result.lines.map { $0.text.split(separator: " ").count }
    let groups = result.lines.map(\.wordGroups)
    print("word groups found: \(groups) of words \(words)")
    XCTAssertTrue(zip(groups, words).allSatisfy { $0 >= 1 && $0 <= $1 }, "\(groups) of \(words)")
    let gaps = zip(groups, words).map { (found: $0 - 1, all: $1 - 1) }
    XCTAssertGreaterThanOrEqual(
      Double(gaps.map(\.found).reduce(0, +)), 0.6 * Double(gaps.map(\.all).reduce(0, +)), "\(groups) of \(words)")
  }

  /// A word wider than the line is written smaller to fit, and reported; never clipped.
  func testAWordWiderThanTheLineIsWrittenSmaller() throws {
    let (writer, scale) = try Self.writer()
    var settings = PageSettings()
    settings.page = PlotterPage(width: 40, height: 40, margin: 5)
    settings.lineHeight = 8
    let writing = PageWriting(writer: writer, settings: settings, bias: 0.75, seed: 1, dataScale: scale ?? (1, 1))
    let result = try writing.write([PageLayout.Block(words: ["a", "notwithstanding", "b"])], primer: nil)
    print(result.notes)
    XCTAssertEqual(result.lines.map(\.text), ["a", "notwithstanding", "b"])
    let wide = result.lines[1]
    let f = try XCTUnwrap(wide.shrunk, "at 8 mm line height the word is wider than 30 mm")
    XCTAssertLessThan(f, 1)
    let xs = wide.strokes.flatMap { $0 }.map(\.x)
    XCTAssertEqual(xs.min()!, 5, accuracy: 1e-6)
    XCTAssertEqual(xs.max()!, 35, accuracy: 1e-6, "the word spans the line exactly")
    XCTAssertTrue(
      result.notes.contains { $0.contains("\"notwithstanding\" is") && $0.contains("written at") }, "\(result.notes)")
    XCTAssertNil(result.lines[0].shrunk)
  }

  /// `sketch write --file` as a user runs it: the SVG and PNG pages, the PDF with as many pages
  /// (read by pdfinfo), every stroke inside the margins in the SVGs and no ink in the PNGs' margins;
  /// then G-code, one file per page, every position inside the margins.
  func testWriteFileMakesPagesOfEveryFormat() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(Self.text.utf8).write(to: dir.appendingPathComponent("letter.txt"))
    let pageFlags = [
      "--page-width", "60", "--page-height", "40", "--margin", "5", "--line-height", "6", "--bias", "0.75",
    ]
    let run = try SketchProcess.run(
      ["write", "--file", "letter.txt", "--model", Self.modelFile, "-o", "letter", "--align", "center"] + pageFlags,
      in: dir)
    XCTAssertEqual(run.status, 0, run.output)
    print(run.output)
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    let svgs = files.filter { $0.hasPrefix("letter-") && $0.hasSuffix(".svg") }.sorted()
    XCTAssertGreaterThan(svgs.count, 1, "\(files)")
    XCTAssertEqual(svgs, (1...svgs.count).map { "letter-\($0).svg" })
    XCTAssertEqual(files.filter { $0.hasSuffix(".png") }.sorted(), (1...svgs.count).map { "letter-\($0).png" })
    XCTAssertTrue(run.output.contains("wrote \(svgs.count) pages (60 x 40 mm)"), run.output)
    let info = try PageLayoutTests.poppler("pdfinfo", [dir.appendingPathComponent("letter.pdf").path])
    let pages = try XCTUnwrap(info.split(separator: "\n").first { $0.hasPrefix("Pages:") })
    XCTAssertEqual(pages.split(separator: " ").last.map(String.init), "\(svgs.count)", info)
    XCTAssertTrue(info.contains("170.079 x 113.386 pts"), info)
    let (margin, width, height) = (5.0, 60.0, 40.0)
    for name in svgs {
      let svg = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
      XCTAssertTrue(svg.contains(#"width="60mm" height="40mm" viewBox="0 0 60 40""#), name)
      let points = Self.numbers(in: svg, after: #"points=""#, until: "\"")
      XCTAssertGreaterThan(points.count, 100, name)
      for p in stride(from: 0, to: points.count - 1, by: 2) {
        XCTAssertTrue((margin - 1e-3...width - margin + 1e-3).contains(points[p]), "\(name): x \(points[p])")
        XCTAssertTrue((margin - 1e-3...height - margin + 1e-3).contains(points[p + 1]), "\(name): y \(points[p + 1])")
      }
      // The PNG at 150 dpi: ink, and none further out than the pen's half width past the margins.
      let image = try PNGImage.read(
        from: dir.appendingPathComponent(name.replacingOccurrences(of: ".svg", with: ".png")).path)
      XCTAssertEqual(image.width, Int((60 / 25.4 * 150).rounded()))
      XCTAssertEqual(image.height, Int((40 / 25.4 * 150).rounded()))
      let px = 150 / 25.4
      let reach = (margin - PageOutput.penWidth / 2) * px - 1
      var ink = 0
      for y in 0..<image.height {
        for x in 0..<image.width where image.pixels[y * image.width + x] < 128 {
          ink += 1
          let inside =
            Double(x) >= reach && Double(x) + 1 <= Double(image.width) - reach && Double(y) >= reach
            && Double(y) + 1 <= Double(image.height) - reach
          XCTAssertTrue(inside, "\(name): ink at pixel \(x), \(y), in the margin")
        }
      }
      XCTAssertGreaterThan(ink, 500, name)
    }
    // G-code: one file per page, every position inside the margins (machine y from the bottom).
    let gcode = try SketchProcess.run(
      ["write", "--file", "letter.txt", "--model", Self.modelFile, "-o", "plot", "--format", "gcode"] + pageFlags,
      in: dir)
    XCTAssertEqual(gcode.status, 0, gcode.output)
    let programs = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".gcode") }
      .sorted()
    XCTAssertGreaterThan(programs.count, 1, gcode.output)
    XCTAssertEqual(programs, (1...programs.count).map { "plot-\($0).gcode" })
    for name in programs {
      let program = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
      let xs = Self.numbers(in: program, after: " X", until: " ")
      let ys = Self.numbers(in: program, after: " Y", until: " \n")
      XCTAssertGreaterThan(xs.count, 50, name)
      XCTAssertEqual(xs.count, ys.count, name)
      for x in xs { XCTAssertTrue((margin - 1e-3...width - margin + 1e-3).contains(x), "\(name): X\(x)") }
      for y in ys { XCTAssertTrue((margin - 1e-3...height - margin + 1e-3).contains(y), "\(name): Y\(y)") }
      XCTAssertTrue(gcode.output.contains("page \(programs.firstIndex(of: name)! + 1): pen-up travel:"), gcode.output)
    }
  }

  /// The numbers in `text` that follow `start`, up to one of the characters of `end` (a run of
  /// numbers separated by spaces and commas, as SVG points, or one number, as a G-code word).
  static func numbers(in text: String, after start: String, until end: String) -> [Double] {
    var out: [Double] = []
    var rest = Substring(text)
    while let r = rest.range(of: start) {
      rest = rest[r.upperBound...]
      let field = rest.prefix { !end.contains($0) && $0 != "\n" }
      out += field.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Double($0) }
      rest = rest[field.endIndex...]
    }
    return out
  }
}
