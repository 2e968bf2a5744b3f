import Codegen
import Foundation
import XCTest

@testable import Sketch

/// The .jhf parser and the built-in handwriting generator (shared/DATASET.md).
final class DataHersheyTests: XCTestCase {
  func testJHFParserOnFixtureLines() throws {
    // The letter A of a stick font: three strokes; then the same glyph wrapped over two lines.
    let fixture = "  501  9I[RFJ[ RRFZ[ RMTWT\n  502  9I[RFJ[ RRF\nZ[ RMTWT\n\n   33  1JZ\n"
    let glyphs = try JHFFont.parse(fixture)
    XCTAssertEqual(glyphs.count, 3)
    let a = JHFGlyph(
      number: 501, left: -9, right: 9,
      strokes: [
        [JHFPoint(x: 0, y: -12), JHFPoint(x: -8, y: 9)], [JHFPoint(x: 0, y: -12), JHFPoint(x: 8, y: 9)],
        [JHFPoint(x: -5, y: 2), JHFPoint(x: 5, y: 2)],
      ])
    XCTAssertEqual(glyphs[0], a)
    XCTAssertEqual(glyphs[1].strokes, a.strokes)
    XCTAssertEqual(glyphs[1].number, 502)
    XCTAssertEqual(glyphs[2], JHFGlyph(number: 33, left: -8, right: 8, strokes: []))

    XCTAssertThrowsError(try JHFFont.parse("  501  9I[RFJ[\n")) { error in
      XCTAssertTrue("\(error)".contains("line 1: the count says 9 pairs, found 3"), "\(error)")
    }
    XCTAssertThrowsError(try JHFFont.parse("  501  9I[RFJ[ RRFZ[ RMTWT\nabcdefgh\n")) { error in
      XCTAssertTrue("\(error)".contains("line 2"), "\(error)")
    }

    // The script font's glyphs prepared for cursive: the i's dot becomes a mark, the body starts at
    // the join point; the doubled strokes of a digit go; the hyphen is short.
    let font = try scriptFont()
    let i = try XCTUnwrap(font.glyph("i"))
    XCTAssertEqual(i.strokes.count, 1)
    XCTAssertEqual(i.marks.count, 1)
    XCTAssertTrue(i.joinsIn && i.joinsOut)
    XCTAssertTrue(try XCTUnwrap(font.glyph("a")).entersOverTop)
    XCTAssertEqual(try XCTUnwrap(font.glyph("t")).marks.count, 1)
    XCTAssertEqual(try XCTUnwrap(font.glyph("k")).strokes.count, 1, "lowercase letters are one stroke")
    XCTAssertEqual(try XCTUnwrap(font.glyph("9")).strokes.count, 1, "doubled strokes removed")
    let hyphen = try XCTUnwrap(font.glyph("-"))
    XCTAssertLessThan(hyphen.right - hyphen.left, 8)
    XCTAssertNil(font.glyph(" "))
    XCTAssertNil(font.glyph("é"))
  }

  func scriptFont() throws -> HandFont {
    try font(WritingStyle.all[0])
  }

  /// The prepared font of `style` (skips when Debian's hershey-fonts-data is missing).
  func font(_ style: WritingStyle) throws -> HandFont {
    guard fileKind(style.fontPath(in: WritingStyle.defaultFontFolder)).exists else {
      throw XCTSkip("Debian's hershey-fonts-data is not installed (scripts/install-deps.sh)")
    }
    return try HersheyGenerator.loadFont(style)
  }

  func testGeneratorIsDeterministicPerSeed() throws {
    let font = try scriptFont()
    let sentences = [
      "The quick brown fox jumps over the lazy dog.", "Pack my box with five dozen liquor jugs!",
      "It's 1984, said Winston; \"we're at war\" (again).",
    ]
    func lines(seed: Int) -> [GeneratedLine] {
      var generator = HersheyGenerator()
      generator.seed = seed
      generator.maxPoints = 0
      return generator.generate(count: 4, fonts: [font], sentences: sentences).lines
    }
    let first = lines(seed: 7)
    let again = lines(seed: 7)
    let other = lines(seed: 8)
    XCTAssertEqual(first.map(\.text), again.map(\.text))
    XCTAssertEqual(first.map(\.strokes), again.map(\.strokes))
    XCTAssertNotEqual(first.map(\.strokes), other.map(\.strokes))
    for line in first {
      XCTAssertGreaterThan(line.strokes.count, 1)
      // Digitiser units: integers.
      XCTAssertTrue(line.strokes.allSatisfy { $0.allSatisfy { $0 == $0.rounded() } })
    }
    // The IAM-style export (--xml) reads back through the IAM importer as the same rows and text.
    let folder = try makeDataTestFolder("hershey-xml")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try HersheyXML.write(first, to: folder)
    let output = folder + "/iam.h5"
    _ = try IAMImporter(input: folder + "/lineStrokes", output: output, ascii: folder + "/ascii", quiet: true).run()
    let dataset = try StrokeDataset(path: output)
    let texts = try XCTUnwrap(try dataset.transcriptions())
    let sources = try XCTUnwrap(try dataset.sources())
    let std = try XCTUnwrap(dataset.std)
    XCTAssertEqual(dataset.count, first.count)
    for index in 0..<dataset.count {
      // h00/h00-000/h00-000-0K.xml holds line K - 1.
      let number = try XCTUnwrap(IAMFormat.formAndLine(ofFile: sources[index])).line
      let line = first[number - 1]
      XCTAssertEqual(texts[index], line.text)
      let expected = line.rows
      let rows = try dataset.rows(index)
      XCTAssertEqual(rows.count, expected.count)
      for k in 0..<(rows.count / 3) {
        XCTAssertEqual(Double(rows[3 * k]) * std.x, Double(expected[3 * k]), accuracy: 1e-3)
        XCTAssertEqual(Double(rows[3 * k + 1]) * std.y, Double(expected[3 * k + 1]), accuracy: 1e-3)
        XCTAssertEqual(rows[3 * k + 2], expected[3 * k + 2])
      }
    }
  }

  func testGeneratorStatisticsMatchDATASET() throws {
    let font = try scriptFont()
    guard fileKind(HersheyText.defaultWordNetFolder + "/data.noun").exists else {
      throw XCTSkip("Debian's wordnet-base is not installed (scripts/install-deps.sh)")
    }
    let sentences = try HersheyText.wordNetSentences()
    // shared/DATASET.md: about 42,600 sentences of 275k words.
    XCTAssertTrue((40_000...45_000).contains(sentences.count), "\(sentences.count) sentences")
    var generator = HersheyGenerator()
    generator.seed = 1
    generator.maxPoints = 0
    let start = Date()
    let lines = generator.generate(count: 50, fonts: [font], sentences: sentences).lines
    let seconds = Date().timeIntervalSince(start)
    let stats = StrokeStatistics(rows: lines.map(\.rows), texts: lines.map(\.text))
    let c = try XCTUnwrap(stats.characters)
    let rows = stats.rows
    let perCharacter = try XCTUnwrap(stats.rowsPerCharacter)
    let report = """
      50 lines in \(String(format: "%.2f", seconds)) s: characters \(c.min)/\(c.median)/\(c.max), \
      rows \(rows.min)/\(rows.median)/\(rows.max), rows per character \(perCharacter), strokes per line \
      \(stats.strokesPerLine), pen-up fraction \(stats.penUpFraction), std dx \(stats.std.0) dy \(stats.std.1)
      """
    print(report)
    // DATASET.md (2000 lines): characters 12 / 33 / 63, points 256 / 814 / 1847, about 25 points per
    // character, about 20 strokes per line, pen-up fraction 0.025, std dx 39, std dy 16. Ranges allow
    // for a sample of 50 lines.
    XCTAssertGreaterThanOrEqual(c.min, 12, report)
    XCTAssertTrue((27...39).contains(c.median), report)
    XCTAssertLessThanOrEqual(c.max, 66, report)
    XCTAssertTrue((650...1000).contains(rows.median), report)
    XCTAssertGreaterThanOrEqual(rows.min, 150, report)
    XCTAssertLessThanOrEqual(rows.max, 2100, report)
    XCTAssertTrue((21...30).contains(perCharacter), report)
    XCTAssertTrue((14...26).contains(stats.strokesPerLine), report)
    XCTAssertTrue((0.015...0.035).contains(stats.penUpFraction), report)
    XCTAssertTrue((20...50).contains(stats.std.0), report)
    XCTAssertTrue((12...20).contains(stats.std.1), report)
  }
}
