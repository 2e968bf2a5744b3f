import Codegen
import Foundation
import XCTest

@testable import Sketch

/// The writing styles of the built-in handwriting dataset: letter designs, statistics per style, the
/// style and alphabet layout, and old single-style files.
final class DataHersheyStyleTests: XCTestCase {
  /// The prepared font of `style` (skips when Debian's hershey-fonts-data is missing).
  func font(_ style: WritingStyle) throws -> HandFont {
    guard fileKind(style.fontPath(in: WritingStyle.defaultFontFolder)).exists else {
      throw XCTSkip("Debian's hershey-fonts-data is not installed (scripts/install-deps.sh)")
    }
    return try HersheyGenerator.loadFont(style)
  }

  /// WordNet's sentences (skips when Debian's wordnet-base is missing).
  func sentences() throws -> [String] {
    guard fileKind(HersheyText.defaultWordNetFolder + "/data.noun").exists else {
      throw XCTSkip("Debian's wordnet-base is not installed (scripts/install-deps.sh)")
    }
    return try HersheyText.wordNetSentences()
  }

  /// The parsed .jhf glyphs of a style's font.
  func jhf(_ style: WritingStyle) throws -> [JHFGlyph] {
    _ = try font(style)
    let path = style.fontPath(in: WritingStyle.defaultFontFolder)
    return try JHFFont.parse(String(decoding: try readFileBytes(path), as: UTF8.self))
  }

  func testStyleListParsesAndRejectsUnknownNames() throws {
    XCTAssertEqual(WritingStyle.all.map(\.name), ["scripts", "scriptc", "futural", "timesi"])
    XCTAssertEqual(try WritingStyle.parse("futural, scripts").map(\.name), ["futural", "scripts"])
    XCTAssertThrowsError(try WritingStyle.parse("scripts,gothic")) { error in
      XCTAssertTrue("\(error)".contains("--styles: unknown style 'gothic'"), "\(error)")
      XCTAssertTrue("\(error)".contains("scripts, scriptc, futural, timesi"), "\(error)")
    }
    XCTAssertThrowsError(try WritingStyle.parse("scripts,scripts")) { error in
      XCTAssertTrue("\(error)".contains("twice"), "\(error)")
    }
    XCTAssertThrowsError(try WritingStyle.parse(""))
    XCTAssertEqual(HersheyGenerator.quotas(count: 10, styles: 4), [3, 3, 2, 2])
  }

  func testUnknownStyleIsAnErrorOfTheCommand() throws {
    let folder = try makeDataTestFolder("styles-cli")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let result = try SketchExecutable.run(
      ["data", "hershey", "-o", "d.h5", "--lines", "4", "--styles", "scripts,cursive"], in: folder)
    XCTAssertEqual(result.status, 1, result.output)
    XCTAssertTrue(result.output.contains("unknown style 'cursive'"), result.output)
    XCTAssertFalse(fileKind(folder + "/d.h5").exists)
  }

  /// scriptc draws its thick parts as two or three lines about a unit apart: many of its strokes run
  /// along another one for most of their length (``GlyphCleanup/alongFractions(_:)``). No stroke of the
  /// prepared glyphs does, in scriptc or in the other styles.
  func testScriptcHasNoDoubledStrokes() throws {
    for style in WritingStyle.all {
      let glyphs = try jhf(style)
      var rawDoubled = 0
      var worst: (Character, Double) = (" ", 0)
      for k in 1..<95 {
        let character = Character(Unicode.Scalar(UInt8(32 + k)))
        let raw = glyphs[k].strokes.map { $0.map { FontPoint(Double($0.x), Double($0.y)) } }
        rawDoubled += GlyphCleanup.alongFractions(raw).filter { $0 > 0.8 }.count
        let clean = GlyphCleanup.alongFractions(HandFont.cleanStrokes(glyphs[k], style: style)).max() ?? 0
        if clean > worst.1 { worst = (character, clean) }
        XCTAssertLessThan(clean, 0.5, "\(style.name) \(character): a stroke runs along another for \(clean) of it")
      }
      print("\(style.name): \(rawDoubled) doubled strokes in the raw font; prepared: worst \(worst)")
      if style.name == "scriptc" {
        // The test fails on the raw font.
        XCTAssertGreaterThan(rawDoubled, 50)
      }
    }
    // The n: its second hump's thickening line goes on to draw the exit, which stays, joined.
    let n = try XCTUnwrap(try font(WritingStyle.all[1]).glyph("n"))
    XCTAssertEqual(n.strokes.count, 1)
    XCTAssertTrue(n.joinsIn && n.joinsOut)
  }

  func testPrintStylesAreSeparateLettersWithPunctuationOnTheBaseline() throws {
    for style in WritingStyle.all where !style.connected {
      let font = try font(style)
      for k in 1..<95 {
        guard let glyph = font.glyphs[k] else { continue }
        XCTAssertFalse(glyph.joinsIn || glyph.joinsOut || glyph.entersOverTop, "\(style.name) \(glyph.character)")
      }
      for character in ".:;," as String {
        let glyph = try XCTUnwrap(font.glyph(character))
        let lowest = glyph.strokes.map { $0.map(\.y).min()! }.max()!
        XCTAssertEqual(lowest, 7, "\(style.name) \(character): the lowest dot's top")
      }
      let hyphen = try XCTUnwrap(font.glyph("-"))
      XCTAssertLessThan(hyphen.right - hyphen.left, 10)
      XCTAssertEqual(try XCTUnwrap(font.glyph("i")).marks.count, 1)
      XCTAssertEqual(try XCTUnwrap(font.glyph("x")).marks.count, 0, "a print x is two strokes")
    }
    // timesi's serifs go: its H is two stems and a bar.
    let h = try XCTUnwrap(try font(WritingStyle.all[3]).glyph("H"))
    XCTAssertEqual(h.strokes.count, 3)
  }

  /// Per style: characters per line, points per character, strokes per line, pen-up fraction, measured
  /// on 40 lines of each; print styles lift the pen between letters, so they have many more strokes.
  func testEachStyleHasPlausibleStatistics() throws {
    let text = try sentences()
    var strokes: [String: Double] = [:]
    for style in WritingStyle.all {
      let font = try font(style)
      var generator = HersheyGenerator()
      generator.seed = 2
      generator.maxPoints = 0
      let lines = generator.generate(count: 40, fonts: [font], sentences: text).lines
      let stats = StrokeStatistics(rows: lines.map(\.rows), texts: lines.map(\.text))
      let c = try XCTUnwrap(stats.characters)
      let perCharacter = try XCTUnwrap(stats.rowsPerCharacter)
      let report = """
        \(style.name): characters \(c.min)/\(c.median)/\(c.max), rows \(stats.rows.min)/\(stats.rows.median)/\
        \(stats.rows.max), rows per character \(perCharacter), strokes per line \(stats.strokesPerLine), \
        pen-up fraction \(stats.penUpFraction), std dx \(stats.std.0) dy \(stats.std.1)
        """
      print(report)
      strokes[style.name] = stats.strokesPerLine
      XCTAssertTrue((27...39).contains(c.median), report)
      XCTAssertTrue((18...32).contains(perCharacter), report)
      XCTAssertTrue(lines.allSatisfy { $0.strokes.allSatisfy { $0.allSatisfy { $0 == $0.rounded() } } })
      if style.connected {
        XCTAssertTrue((12...28).contains(stats.strokesPerLine), report)
        XCTAssertTrue((0.015...0.04).contains(stats.penUpFraction), report)
      } else {
        XCTAssertTrue((28...60).contains(stats.strokesPerLine), report)
        XCTAssertTrue((0.035...0.09).contains(stats.penUpFraction), report)
      }
    }
    for print in ["futural", "timesi"] {
      for cursive in ["scripts", "scriptc"] {
        XCTAssertGreaterThan(strokes[print]!, 1.5 * strokes[cursive]!, "\(print) vs \(cursive): \(strokes)")
      }
    }
  }

  func testStylesAreSharedEvenlyAndDeterministicPerSeed() throws {
    let fonts = try WritingStyle.all.map { try font($0) }
    let text = [
      "The quick brown fox jumps over the lazy dog.", "Pack my box with five dozen liquor jugs!",
      "It's 1984, said Winston; \"we're at war\" (again).",
    ]
    func lines(seed: Int, maxPoints: Int = 0) -> [GeneratedLine] {
      var generator = HersheyGenerator()
      generator.seed = seed
      generator.maxPoints = maxPoints
      return generator.generate(count: 10, fonts: fonts, sentences: text).lines
    }
    let first = lines(seed: 7)
    XCTAssertEqual(first.map(\.style), [0, 1, 2, 3, 0, 1, 2, 3, 0, 1])
    XCTAssertEqual(first.map(\.strokes), lines(seed: 7).map(\.strokes))
    XCTAssertNotEqual(first.map(\.strokes), lines(seed: 8).map(\.strokes))
    // Lines over the limit are replaced by lines of their own style: the shares stay even.
    let limited = lines(seed: 7, maxPoints: 700)
    XCTAssertEqual((0..<4).map { s in limited.filter { $0.style == s }.count }, [3, 3, 2, 2])
    XCTAssertTrue(limited.allSatisfy { $0.strokes.reduce(0) { $0 + $1.count / 2 } - 1 <= 700 })
  }

  func testStylesAndAlphabetRoundTripThroughTheFile() throws {
    _ = try font(WritingStyle.all[0])
    _ = try sentences()
    let folder = try makeDataTestFolder("styles-file")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var generator = HersheyGenerator()
    generator.lines = 13
    generator.seed = 4
    generator.quiet = true
    generator.styles = try WritingStyle.parse("futural,scripts,timesi")
    let path = folder + "/styles.h5"
    _ = try generator.run(output: path)
    let dataset = try StrokeDataset(path: path)
    XCTAssertEqual(dataset.styleNames, ["futural", "scripts", "timesi"])
    XCTAssertEqual(dataset.styleCounts, [5, 4, 4])
    // The file is shuffled: a line's source names its place k in the generation order, style k mod 3.
    let sources = try XCTUnwrap(try dataset.sources())
    for (index, source) in sources.enumerated() {
      let k = try XCTUnwrap(Int(try XCTUnwrap(source.split(separator: " ").last)))
      XCTAssertEqual(dataset.styles[index], k % 3, source)
    }
    let texts = try XCTUnwrap(try dataset.transcriptions())
    let alphabet = try dataset.alphabet()
    let expected = Set(texts.flatMap { $0.unicodeScalars.map(\.value) }).sorted()
    XCTAssertEqual(alphabet.map { $0.unicodeScalars.first!.value }, expected)
    XCTAssertEqual(Set(texts.joined()), Set(alphabet))
    XCTAssertTrue(alphabet.contains(" "))
    let report = try ShowCommand.describe(dataset)
    XCTAssertTrue(
      report.contains("styles: 0 futural (5 lines), 1 scripts (4 lines), 2 timesi (4 lines)"), report)
    XCTAssertTrue(report.contains("  timesi: characters "), report)
    XCTAssertTrue(report.contains("alphabet: \(alphabet.count) characters"), report)
    let attributes = Dictionary(dataset.attributes(), uniquingKeysWith: { a, _ in a })
    XCTAssertEqual(attributes["style_names"]?.stringsValue, ["futural", "scripts", "timesi"])
    XCTAssertEqual(attributes["generator_version"]?.intValue, HersheyGenerator.version)
    XCTAssertTrue(attributes["generator_parameters"]?.stringValue?.contains("styles: futural (") ?? false)
    XCTAssertEqual(attributes["licence"]?.stringsValue?.count, 2)
    // Training reads it as before.
    let loader = try BatchLoader(dataset: dataset, split: .train, batchSize: 4, maxLength: 300, seed: 1)
    var batches = loader.batches(epoch: 0)
    var seen = 0
    while let batch = try batches.next() { seen += batch.lengths.count }
    XCTAssertEqual(seen, dataset.range(.train).count)
  }

  /// Fixtures/data_hershey_v1.h5: three lines written by `sketch data hershey --lines 3 --seed 5
  /// --max-points 450` before styles existed (generator version 1, no `styles`, no `alphabet`).
  func testOldSingleStyleFilesStayReadable() throws {
    let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    let dataset = try StrokeDataset(path: fixtures.appendingPathComponent("data_hershey_v1.h5").path)
    XCTAssertEqual(dataset.kind, "hershey")
    XCTAssertEqual(dataset.count, 3)
    XCTAssertEqual(dataset.styleNames, ["scripts"])
    XCTAssertEqual(dataset.styles, [0, 0, 0])
    XCTAssertEqual(try dataset.transcriptions(), ["slower students.", "age. The animals", "fell on her face."])
    XCTAssertEqual(String(try dataset.alphabet()), " .Tacdefghilmnorstuw")
    XCTAssertTrue(try ShowCommand.describe(dataset).contains("styles: 0 scripts (3 lines)"))
    let loader = try BatchLoader(dataset: dataset, split: .train, batchSize: 2, maxLength: 100, seed: 1)
    var batches = loader.batches(epoch: 0)
    var lengths: [Int] = []
    while let batch = try batches.next() { lengths += batch.lengths }
    XCTAssertEqual(lengths, [100, 100])
  }

  func testDamagedStylesAreRefused() throws {
    let folder = try makeDataTestFolder("styles-bad")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/bad.h5"
    let records = (0..<3).map {
      StrokeRecord(rows: [1, 0, 0, 0, 1, 1], transcription: "ab", source: "\($0)", style: $0)
    }
    XCTAssertThrowsError(
      try StrokeDatasetWriter.write(
        records, to: path,
        description: StrokeDatasetDescription(kind: "test", units: "u", maxPoints: 0, seed: 0, styleNames: ["a", "b"]))
    ) { error in XCTAssertTrue("\(error)".contains("style id 2"), "\(error)") }
    _ = try StrokeDatasetWriter.write(
      records, to: path,
      description: StrokeDatasetDescription(
        kind: "test", units: "u", maxPoints: 0, seed: 0, styleNames: ["a", "b", "c"]))
    let dataset = try StrokeDataset(path: path)
    XCTAssertEqual(dataset.styleCounts, [1, 1, 1])
    XCTAssertEqual(try dataset.alphabet(), ["a", "b"])
    // A file without styles written by the importers: one style, named after its kind.
    _ = try StrokeDatasetWriter.write(
      records.map {
        var r = $0
        r.style = 0
        return r
      }, to: path,
      description: StrokeDatasetDescription(kind: "svg", units: "u", maxPoints: 0, seed: 0))
    XCTAssertEqual(try StrokeDataset(path: path).styleNames, ["svg"])
  }
}
