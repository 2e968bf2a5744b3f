import ArgumentParser
import Codegen
import Foundation
import SketchFiles
import TestSupport
import XCTest

@testable import Sketch

/// The page layout of `sketch write --file` without a model: paragraphs, word wrap, pieces of long
/// lines, alignment (justified right edges), pagination, drift, word groups from the window, the
/// flags, and the PDF read back by poppler.
final class PageLayoutTests: XCTestCase {
  func testParagraphsAreSeparatedByBlankLinesAndNewlinesAreSpaces() {
    let text = "Dear Anna,\n\n  thank you\tfor the\r\nlovely letter.\n \t \n\n\nWith love,\nTom\n"
    XCTAssertEqual(
      PageLayout.paragraphs(text).map(\.words),
      [["Dear", "Anna,"], ["thank", "you", "for", "the", "lovely", "letter."], ["With", "love,", "Tom"]])
    XCTAssertEqual(PageLayout.paragraphs(" \n\n\t\n"), [])
    // Hard line breaks (a backslash or two spaces at the end of a line) end a block, not a paragraph.
    let letter = "Thanks.\n\nWith love,\\\nTom  \nand Kit\n\nPS\n"
    XCTAssertEqual(
      PageLayout.paragraphs(letter),
      [
        .init(words: ["Thanks."]), .init(words: ["With", "love,"]), .init(words: ["Tom"], startsParagraph: false),
        .init(words: ["and", "Kit"], startsParagraph: false), .init(words: ["PS"]),
      ])
    let cut = PageLayout.splitLongWords(["a", "abcdefghij", "bc"], maxCharacters: 4)
    XCTAssertEqual(cut.words, ["a", "abcd", "efgh", "ij", "bc"])
    XCTAssertEqual(cut.cut, ["abcdefghij"])
  }

  /// Random words wrapped at random widths: every line's estimated width fits (unless it is one word),
  /// the next word would not have fitted, and the lines hold every word once, in order.
  func testWrapNeverExceedsTheWidthAndFillsEachLine() {
    var rng = SeededGenerator(seed: 7)
    for _ in 0..<300 {
      let words = (0..<Int(rng.next() % 40 + 1)).map { _ in String(repeating: "x", count: Int(rng.next() % 12 + 1)) }
      let c = 1 + Double(rng.next() % 100) / 50
      let (first, rest) = (10 + Double(rng.next() % 100), 20 + Double(rng.next() % 100))
      let maxCharacters = rng.next() % 2 == 0 ? Int.max : Int(rng.next() % 30 + 5)
      let lines = PageLayout.wrap(words, characterWidth: c, maxCharacters: maxCharacters) { $0 == 0 ? first : rest }
      XCTAssertEqual(lines.flatMap { Array($0) }, Array(words.indices))
      for (k, r) in lines.enumerated() {
        let width = k == 0 ? first : rest
        let length = words[r].joined(separator: " ").count
        if r.count > 1 {
          XCTAssertLessThanOrEqual(Double(length) * c, width + 1e-9)
          XCTAssertLessThanOrEqual(length, maxCharacters)
        }
        if r.upperBound < words.count {
          let longer = length + 1 + words[r.upperBound].count
          XCTAssertTrue(Double(longer) * c > width || longer > maxCharacters, "line \(k) could take another word")
        }
      }
    }
  }

  /// A long line is cut into the fewest pieces of at most N characters, as even as can be (checked
  /// against every cut of small lines).
  func testLongLinesAreCutIntoTheFewestEvenPieces() {
    let even = PageLayout.segments(["aaaa", "bbbb", "cccc", "dddd"], maxCharacters: 10)
    XCTAssertEqual(even, [0..<2, 2..<4], "two pieces of 9 characters, not 14 and 4")
    XCTAssertEqual(PageLayout.segments(["aaaa", "bbbb", "cccc", "dddd"], maxCharacters: 40), [0..<4])
    XCTAssertEqual(PageLayout.segments(["abcdefgh", "ab"], maxCharacters: 5), [0..<1, 1..<2])
    var rng = SeededGenerator(seed: 3)
    for _ in 0..<200 {
      let words = (0..<Int(rng.next() % 9 + 1)).map { _ in String(repeating: "y", count: Int(rng.next() % 8 + 1)) }
      let max = Int(rng.next() % 20 + 8)
      let got = PageLayout.segments(words, maxCharacters: max)
      XCTAssertEqual(got.flatMap { Array($0) }, Array(words.indices))
      let lengths = got.map { words[$0].joined(separator: " ").count }
      XCTAssertTrue(zip(got, lengths).allSatisfy { $0.count == 1 || $1 <= max })
      // Every cut of the words (a bit per gap), the best by (pieces, longest).
      var best = (Int.max, Int.max)
      for mask in 0..<(1 << (words.count - 1)) {
        var cuts: [[String]] = [[words[0]]]
        for i in 1..<words.count {
          if mask & (1 << (i - 1)) != 0 { cuts.append([words[i]]) } else { cuts[cuts.count - 1].append(words[i]) }
        }
        let l = cuts.map { $0.joined(separator: " ").count }
        guard zip(cuts, l).allSatisfy({ $0.count == 1 || $1 <= max }) else { continue }
        if (cuts.count, l.max()!) < best { best = (cuts.count, l.max()!) }
      }
      XCTAssertEqual(got.count, best.0, "\(words) at \(max)")
      XCTAssertEqual(lengths.max(), best.1, "\(words) at \(max)")
    }
  }

  /// Left, centred and justified lines: where the ink goes, and justified right edges exactly at the
  /// margin, a paragraph's last line left.
  func testAlignmentPlacesTheInk() {
    let words: [ClosedRange<Double>] = [3...10, 12...20, 22.5...25, 27...40]
    let (left, width) = (15.0, 100.0)
    let l = PageLayout.shifts(words, left: left, width: width, alignment: .left, last: false)
    XCTAssertEqual(l, [12, 12, 12, 12])
    let c = PageLayout.shifts(words, left: left, width: width, alignment: .center, last: false)
    XCTAssertEqual(3 + c[0] - left, left + width - (40 + c[3]), accuracy: 1e-12, "equal room left and right")
    let j = PageLayout.shifts(words, left: left, width: width, alignment: .justify, last: false)
    XCTAssertEqual(3 + j[0], left, accuracy: 1e-12)
    XCTAssertEqual(40 + j[3], left + width, accuracy: 1e-9, "the right edge at the margin")
    let gaps = zip(j, j.dropFirst()).map { $1 - $0 }
    XCTAssertEqual(gaps.max()! - gaps.min()!, 0, accuracy: 1e-9, "every space stretched alike")
    XCTAssertGreaterThan(gaps[0], 0)
    XCTAssertEqual(PageLayout.shifts(words, left: left, width: width, alignment: .justify, last: true), l)
    XCTAssertEqual(PageLayout.shifts([5...30], left: left, width: width, alignment: .justify, last: false), [10])
    // A first word whose ink reaches past the second's (a long t-bar): the rightmost ink of all groups
    // ends at the margin, none beyond.
    let odd: [ClosedRange<Double>] = [0...50, 10...20, 30...45]
    let s = PageLayout.shifts(odd, left: 0, width: 80, alignment: .justify, last: false)
    XCTAssertEqual(zip(odd, s).map { $0.upperBound + $1 }.max()!, 80, accuracy: 1e-9)
  }

  /// Justified lines of random word boxes: right edges line up at the margin (within 1e-9 mm), the
  /// left edge at the left margin, words in their order.
  func testJustifiedRightEdgesLineUp() {
    var rng = SeededGenerator(seed: 11)
    for _ in 0..<200 {
      var x = Double(rng.next() % 10)
      let words = (0..<Int(rng.next() % 8 + 2)).map { _ -> ClosedRange<Double> in
        let w = 2 + Double(rng.next() % 300) / 10
        defer { x += w + 1 + Double(rng.next() % 40) / 10 }
        return x...(x + w)
      }
      let width = words.last!.upperBound - words[0].lowerBound + Double(rng.next() % 500) / 10
      let s = PageLayout.shifts(words, left: 20, width: width, alignment: .justify, last: false)
      XCTAssertEqual(zip(words, s).map { $0.upperBound + $1 }.max()!, 20 + width, accuracy: 1e-9)
      XCTAssertEqual(words[0].lowerBound + s[0], 20, accuracy: 1e-9)
      XCTAssertTrue(zip(s, s.dropFirst()).allSatisfy { $1 >= $0 })
    }
  }

  func testPaginationBreaksPagesAtTheBottomMargin() throws {
    let line = { (start: Bool) in PageLayout.LineBox(ascent: 6, descent: 3, startsParagraph: start) }
    // Page 100 high, margins 10: first baseline at 16; 10 apart, 5 more before a paragraph.
    let lines = [line(false), line(false), line(true)] + (0..<10).map { _ in line(false) }
    let placed = try PageLayout.paginate(lines, height: 100, margin: 10, pitch: 10, paragraphGap: 5)
    XCTAssertEqual(placed.prefix(3).map(\.baseline), [16, 26, 41])
    // Baselines 16, 26, 41, 51, ... 81 on page 1; the next at 91 would reach 94, below the margin at 90.
    XCTAssertEqual(placed.map(\.page), [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    for p in placed { XCTAssertLessThanOrEqual(p.baseline + 3, 90 + 1e-9) }
    XCTAssertEqual(placed[7].baseline, 16, "a new page starts at the first baseline")
    // A paragraph starting a page gets no gap above it.
    let top = try PageLayout.paginate(
      [line(false), line(true)], height: 30, margin: 5, pitch: 10, paragraphGap: 5)
    XCTAssertEqual(top, [.init(page: 0, baseline: 11), .init(page: 1, baseline: 11)])
    // Drift moves baselines; the first baseline leaves room for the highest drifted ascent.
    var drifted = [line(false), line(false)]
    (drifted[0].offset, drifted[1].offset) = (-1, 0.5)
    let d = try PageLayout.paginate(drifted, height: 100, margin: 10, pitch: 10, paragraphGap: 0)
    XCTAssertEqual(d.map(\.baseline), [16, 27.5])
    XCTAssertThrowsError(
      try PageLayout.paginate(
        [PageLayout.LineBox(ascent: 50, descent: 40, startsParagraph: false)], height: 100, margin: 10, pitch: 10,
        paragraphGap: 0)
    ) { error in
      XCTAssertTrue("\(error)".contains("line 1's writing is 90 mm tall, and a page holds 80 mm"), "\(error)")
    }
  }

  /// The drift stays within its bounds, moves, is the same for the same seed, different for another,
  /// longer walks extend shorter ones, and 0 turns it off.
  func testDriftIsBoundedSlowAndSeeded() {
    for amount in [1.0, 2.5] {
      let walk = PageDrift(amount: amount, seed: 4).values(3000)
      XCTAssertLessThanOrEqual(walk.map { abs($0.offset) }.max()!, amount * PageDrift.offsetBound)
      XCTAssertLessThanOrEqual(walk.map { abs($0.slant) }.max()!, amount * PageDrift.slantBound)
      // It wanders over most of its range, by small steps.
      XCTAssertGreaterThan(walk.map(\.offset).max()! - walk.map(\.offset).min()!, amount * 1.5)
      let steps = zip(walk, walk.dropFirst()).map { abs($1.offset - $0.offset) }
      XCTAssertEqual(
        steps.reduce(0, +) / Double(steps.count), amount * PageDrift.offsetStep * 0.798, accuracy: 0.05 * amount)
      XCTAssertLessThanOrEqual(steps.max()!, amount * PageDrift.offsetStep * 5)
    }
    let a = PageDrift(amount: 1, seed: 9).values(50)
    XCTAssertEqual(a, PageDrift(amount: 1, seed: 9).values(50))
    XCTAssertEqual(Array(PageDrift(amount: 1, seed: 9).values(80).prefix(50)), a)
    XCTAssertNotEqual(a, PageDrift(amount: 1, seed: 10).values(50))
    XCTAssertEqual(Set(PageDrift(amount: 0, seed: 9).values(20).map { [$0.offset, $0.slant] }), [[0, 0]])
    XCTAssertEqual(PageDrift.reflect(2.5, within: 2), 1.5)
    XCTAssertEqual(PageDrift.reflect(-7, within: 2), 1, "-7 reflected at -2 is 3, at 2 is 1")
  }

  /// A written line's strokes go to the word the window was on while they were drawn (a space with
  /// the word before it), words whose ink overlaps are one group, and a mark at the line's start is
  /// not ink.
  func testStrokesAreGroupedByWordFromTheWindow() {
    // "ab cd ef" written as: a start mark (one point), a stroke over "ab", a stroke while the window
    // is on the space after "ab" (with "ab"), a stroke over "cd", then two over "ef" whose first
    // reaches back into "cd" (overlap: one group).
    let text = "ab cd ef"
    var offsets: [(dx: Double, dy: Double, pen: Double)] = []
    var window: [Int] = []
    func stroke(from x: Double, to x2: Double, at character: Int) {
      let (x0, _) = position()
      offsets.append((x - x0, 0 - currentY(), 0))
      window.append(character)
      for k in 1...4 {
        offsets.append(((x2 - x) / 4, k % 2 == 0 ? 3 : -3, k == 4 ? 1 : 0))
        window.append(character)
      }
    }
    func position() -> (Double, Double) { (offsets.map(\.dx).reduce(0, +), currentY()) }
    func currentY() -> Double { offsets.map(\.dy).reduce(0, +) }
    offsets.append((0, -2, 1))
    window.append(0)
    stroke(from: 10, to: 20, at: 0)
    stroke(from: 21, to: 24, at: 2)
    stroke(from: 30, to: 40, at: 3)
    stroke(from: 38, to: 50, at: 6)
    stroke(from: 51, to: 60, at: 7)
    let primer = "xy "
    let phi = window.map { c in (0..<(primer.count + text.count)).map { $0 == c + primer.count ? 1.0 : 0.1 } }
    let line = HandwritingWriter.Line(
      text: text, windowText: primer + text, offsets: offsets, phi: phi, draws: 1, refusals: [])
    let shape = PageWriting.shape(line, slant: 0, unit: 0.5, dataScale: (1, 1))
    XCTAssertEqual(shape.strokes.count, 5, "the start mark is dropped")
    XCTAssertEqual(shape.group, [0, 0, 1, 1, 1])
    XCTAssertEqual(shape.groups.count, 2)
    XCTAssertEqual(shape.groups[0].lowerBound, 5, accuracy: 1e-9)
    XCTAssertEqual(shape.groups[0].upperBound, 12, accuracy: 1e-9)
    XCTAssertEqual(shape.groups[1].upperBound, 30, accuracy: 1e-9)
    XCTAssertEqual(shape.minX, 5, accuracy: 1e-9)
    XCTAssertEqual(shape.maxX, 30, accuracy: 1e-9)
    // Slant moves ink above the baseline right: the shape's height is unchanged.
    let slanted = PageWriting.shape(line, slant: 10, unit: 0.5, dataScale: (1, 1))
    XCTAssertEqual(slanted.ascent + slanted.descent, shape.ascent + shape.descent, accuracy: 1e-9)
    XCTAssertEqual(slanted.strokes[0][1].x - shape.strokes[0][1].x, 1.5 * tan(10 * Double.pi / 180), accuracy: 1e-9)
    XCTAssertEqual(slanted.strokes[0][0].x, shape.strokes[0][0].x, accuracy: 1e-12, "a point on the baseline stays")
    // Pieces of a line are joined a word space apart, their groups after one another.
    let joined = PageWriting.Shape.joined([shape, shape], space: 2)
    XCTAssertEqual(joined.groups.count, 4)
    XCTAssertEqual(joined.groups[2].lowerBound, 32, accuracy: 1e-9)
    XCTAssertEqual(joined.maxX, 57, accuracy: 1e-9)
    XCTAssertEqual(joined.group, [0, 0, 1, 1, 1, 2, 2, 3, 3, 3])
  }

  /// The flags: one source of text, page-only flags need --file, page flags are allowed with --file
  /// for png-svg, one style, impossible layouts refused.
  func testPageFlags() throws {
    let base = ["--model", "m"]
    let page = try Write.parse(base + ["--file", "t.txt", "--margin", "20", "--align", "justify", "--drift", "0"])
    let settings = page.pages.settings(plotter: page.plotter, seed: 3)
    XCTAssertEqual(settings.page, PlotterPage(width: 210, height: 297, margin: 20, lineHeight: nil))
    XCTAssertEqual(settings.lineHeight, 8)
    XCTAssertEqual(settings.alignment, .justify)
    XCTAssertEqual(settings.drift, PageDrift(amount: 0, seed: 3))
    let refused: [([String], String)] = [
      (["hello", "--file", "t.txt"], "give the text to write, --lines FILE or --file FILE (one of them)"),
      ([], "give the text to write, --lines FILE or --file FILE (one of them)"),
      (["hello", "--align", "center"], "--align applies to pages; add --file FILE"),
      (["hello", "--margin", "5"], "--margin applies to the plotter formats and to --file"),
      (["--file", "t.txt", "--style", "all"], "--file writes pages in one style"),
      (["--file", "t.txt", "--line-height", "280"], "--line-height 280 mm is more than the 267 mm"),
      (["--file", "t.txt", "--indent", "180"], "--indent 180 mm leaves no room"),
      (["--file", "t.txt", "--format", "gcode", "--dpi", "300"], "--dpi applies to the PNG pages"),
      (["--file", "t.txt", "--drift", "6"], "--drift must be a finite number in [0, 5]"),
      (["--file", "t.txt", "--align", "right"], "right"),
      (["--file", "t.txt", "--margin", "120"], "no room inside 120 mm margins"),
    ]
    for (args, message) in refused {
      XCTAssertThrowsError(try Write.parse(base + args), "\(args)") { error in
        let text = Write.message(for: error)
        XCTAssertTrue(text.contains(message), "\(args): \(text)")
      }
    }
  }

  func testUnreadableAndEmptyFilesAreRefused() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let latin1 = dir.appendingPathComponent("latin1.txt")
    try Data([0x63, 0x61, 0x66, 0xE9, 0x0A]).write(to: latin1)
    XCTAssertThrowsError(try PageFlags.paragraphs(file: latin1.path)) {
      XCTAssertTrue("\($0)".contains("not UTF-8 text"), "\($0)")
    }
    let blank = dir.appendingPathComponent("blank.txt")
    try Data("\n  \n\t\n".utf8).write(to: blank)
    XCTAssertThrowsError(try PageFlags.paragraphs(file: blank.path)) { XCTAssertTrue("\($0)".contains("has no text")) }
    XCTAssertThrowsError(try PageFlags.paragraphs(file: dir.appendingPathComponent("none.txt").path)) {
      XCTAssertTrue("\($0)".contains("cannot read it"), "\($0)")
    }
  }

  /// Three pages of strokes as one PDF, read by poppler (a reader nobody here wrote): `pdfinfo` counts
  /// the pages and gives their size; `pdftoppm` renders page 2, whose line is where it was drawn.
  func testThePDFHasOnePagePerPageReadByPoppler() throws {
    let (w, h) = (148.0, 210.0)
    let pages: [[[Double]]] = [
      [[20, 30, 120, 30], [50, 60]], [[20, 100, 120, 100]], [[10, 10, 20, 20, 30, 10]],
    ]
    let pdf = try PDFWriter.pdf(pages: pages, width: w, height: h, penWidth: 2, title: "test")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pdf-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("p.pdf").path
    try Data(pdf).write(to: URL(fileURLWithPath: file))
    let info = try Self.poppler("pdfinfo", [file])
    let pagesLine = try XCTUnwrap(info.split(separator: "\n").first { $0.hasPrefix("Pages:") })
    XCTAssertEqual(pagesLine.split(separator: " ").last, "3", info)
    let size = try XCTUnwrap(info.split(separator: "\n").first { $0.hasPrefix("Page size:") })
    XCTAssertTrue(size.contains("419.528 x 595.276 pts"), String(size))
    let creator = try XCTUnwrap(info.split(separator: "\n").first { $0.hasPrefix("Creator:") })
    XCTAssertTrue(creator.hasSuffix(" sketch write"), String(creator))
    // Page 2 at 25.4 dpi: one pixel a millimetre; the line at y = 100 from x = 20 to 120.
    _ = try Self.poppler(
      "pdftoppm", ["-gray", "-r", "25.4", "-f", "2", "-l", "2", file, dir.appendingPathComponent("r").path])
    let rendered = try XCTUnwrap(
      try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix("r") && $0.hasSuffix(".pgm") })
    let image = try Self.readPGM(dir.appendingPathComponent(rendered).path)
    XCTAssertEqual(image.width, 148)
    XCTAssertTrue((210...211).contains(image.height), "\(image.height) rows")
    XCTAssertLessThan(image.pixel(70, 99), 128, "ink on the line")
    XCTAssertEqual(image.pixel(70, 60), 255, "paper elsewhere")
    XCTAssertEqual(image.pixel(10, 99), 255, "nothing left of the line's start")
  }

  /// Runs a poppler tool; a missing one fails with how to install it (never a skip).
  static func poppler(_ tool: String, _ arguments: [String]) throws -> String {
    let path = "/usr/bin/" + tool
    guard FileManager.default.isExecutableFile(atPath: path) else {
      throw SketchProcessError(
        "\(tool) is missing: install poppler-utils (`apt-get install poppler-utils` or `bash scripts/install-deps.sh`)")
    }
    return try PlotterTests.run(path, arguments)
  }

  /// A binary PGM (P5, 8 bits) image.
  static func readPGM(_ path: String) throws -> (width: Int, height: Int, pixel: (Int, Int) -> UInt8) {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    var fields: [Int] = []
    var i = 2
    while fields.count < 3 {
      while bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
      var n = 0
      while bytes[i] >= 0x30 && bytes[i] <= 0x39 {
        n = n * 10 + Int(bytes[i] - 0x30)
        i += 1
      }
      fields.append(n)
    }
    let (w, h) = (fields[0], fields[1])
    let data = Array(bytes[(i + 1)...])
    return (w, h, { x, y in data[y * w + x] })
  }
}
