import Foundation
import XCTest

@testable import Sketch

/// Plotter output of `sketch write`: the writing placed on a page in millimetres, strokes ordered for
/// short pen-up travel, and the SVG, G-code and HPGL files; the G-code is also read back by pygcode
/// (a parser nobody here wrote), installed by scripts/install-test-tools.sh.
final class PlotterTests: XCTestCase {
  /// `count` strokes of 1 to 6 points scattered over a 300 x 60 box, from a fixed linear
  /// congruential sequence (data units, x, y interleaved).
  static func scatteredStrokes(_ count: Int, seed: UInt64) -> [[Double]] {
    var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    func next() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) / Double(1 << 53)
    }
    return (0..<count).map { _ in
      let (x, y) = (next() * 300, next() * 60)
      return (0..<(1 + Int(next() * 6))).flatMap { k in [x + Double(k) * 2, y + next() * 4] }
    }
  }

  static let lines = [scatteredStrokes(40, seed: 1), scatteredStrokes(25, seed: 2), scatteredStrokes(1, seed: 3)]

  func testTheWritingFillsTheLineWidthInsideTheMargins() throws {
    let page = PlotterPage()
    let placed = try page.place(Self.lines)
    XCTAssertEqual(placed.map(\.count), [40, 25, 1])
    let points = placed.flatMap { $0.flatMap { $0 } }
    let (minX, maxX) = (points.map(\.x).min()!, points.map(\.x).max()!)
    let (minY, maxY) = (points.map(\.y).min()!, points.map(\.y).max()!)
    XCTAssertEqual(minX, 15, accuracy: 1e-9, "the left margin")
    XCTAssertEqual(maxX, 195, accuracy: 1e-9, "the widest line spans the 180 mm between the margins")
    XCTAssertEqual(minY, 15, accuracy: 1e-9, "the top margin")
    XCTAssertLessThanOrEqual(maxY, 297 - 15)
    // One scale for all lines: the second line (drawn from the same box) is as wide as its data says.
    let widths = Self.lines.map { l in l.flatMap { s in stride(from: 0, to: s.count, by: 2).map { s[$0] } } }
      .map { $0.max()! - $0.min()! }
    let scale = 180 / widths.max()!
    let second = placed[1].flatMap { $0 }.map(\.x)
    XCTAssertEqual(second.max()! - second.min()!, widths[1] * scale, accuracy: 1e-9)
    // Lines are 1.2 line heights apart: the second line starts lower by 1.2 x the tallest ink height.
    let heights = Self.lines.map { l in l.flatMap { s in stride(from: 1, to: s.count, by: 2).map { s[$0] } } }
      .map { $0.max()! - $0.min()! }
    let secondTop = placed[1].flatMap { $0 }.map(\.y).min()!
    XCTAssertEqual(secondTop, 15 + 1.2 * heights.max()! * scale, accuracy: 1e-9)
  }

  func testALineHeightSetsTheScaleAndAMisfitIsAnError() throws {
    let page = PlotterPage(width: 297, height: 210, margin: 10, lineHeight: 8)
    let placed = try page.place(Self.lines)
    let heights = placed.map { l in l.flatMap { $0 }.map(\.y) }.map { $0.max()! - $0.min()! }
    XCTAssertEqual(heights.max()!, 8, accuracy: 1e-9, "the tallest line is 8 mm high")
    for p in placed.flatMap({ $0.flatMap { $0 } }) {
      XCTAssertTrue((10...287).contains(p.x) && (10...200).contains(p.y), "\(p) outside the margins")
    }
    XCTAssertThrowsError(try PlotterPage(lineHeight: 80).place(Self.lines)) { error in
      XCTAssertTrue("\(error)".contains("give a smaller --line-height"), "\(error)")
    }
    XCTAssertThrowsError(try PlotterPage(width: 20, margin: 10).place(Self.lines)) { error in
      XCTAssertTrue("\(error)".contains("no room inside 10 mm margins"), "\(error)")
    }
    // Many lines shrink to fit the page's height as well as its width.
    let many = try PlotterPage().place(Array(repeating: [[0, 0, 100, 50]], count: 40))
    XCTAssertEqual(many.flatMap { $0.flatMap { $0 } }.map(\.y).max()!, 282, accuracy: 1e-9, "down to the bottom margin")
  }

  func testOrderingShortensTravelAndKeepsEveryStroke() throws {
    let page = PlotterPage()
    let placed = try page.place(Self.lines)
    let ordered = StrokeOrder.order(placed, from: page.home)
    let before = StrokeOrder.travel(placed.flatMap { $0 }, from: page.home)
    let after = StrokeOrder.travel(ordered, from: page.home)
    XCTAssertLessThan(
      after, before * 0.6, "scattered strokes: the greedy tour travels much less (\(before) -> \(after))")
    // The same strokes, each drawn forwards or backwards, each once.
    func canonical(_ s: [PagePoint]) -> [PagePoint] {
      let r = Array(s.reversed())
      return (s.first!.x, s.first!.y) <= (r.first!.x, r.first!.y) ? s : r
    }
    XCTAssertEqual(ordered.count, placed.flatMap { $0 }.count)
    XCTAssertEqual(
      Set(ordered.map(canonical)).count, Set(placed.flatMap { $0 }.map(canonical)).count)
    XCTAssertEqual(Set(ordered.map(canonical)), Set(placed.flatMap { $0 }.map(canonical)))
    XCTAssertGreaterThan(zip(ordered, ordered.map(canonical)).filter { $0 != $1 }.count, 0)
    // Reading order: every stroke of line 1 comes before any of line 2.
    let lineOf = Dictionary(
      placed.enumerated().flatMap { k, l in l.map { (canonical($0), k) } }, uniquingKeysWith: { a, _ in a })
    let order = ordered.map { lineOf[canonical($0)]! }
    XCTAssertEqual(order, order.sorted())

    // Reversal: from the right, a left-to-right stroke is drawn right to left.
    let s = [PagePoint(0, 0), PagePoint(10, 0)]
    XCTAssertEqual(StrokeOrder.greedy([s], from: PagePoint(12, 0)), [[PagePoint(10, 0), PagePoint(0, 0)]])
    XCTAssertEqual(StrokeOrder.travel([[PagePoint(10, 0), PagePoint(0, 0)]], from: PagePoint(12, 0)), 2)
    // Never longer than the writing's order, on many random pages (greedy alone can be).
    for seed in 0..<60 as Range<UInt64> {
      let strokes = try page.place([Self.scatteredStrokes(2 + Int(seed % 9), seed: seed)])
      let t0 = StrokeOrder.travel(strokes.flatMap { $0 }, from: page.home)
      XCTAssertLessThanOrEqual(
        StrokeOrder.travel(StrokeOrder.order(strokes, from: page.home), from: page.home), t0 + 1e-9)
    }
    // Strokes already in the best order stay as they are.
    let row = (0..<5).map { k in [PagePoint(Double(k) * 10, 297), PagePoint(Double(k) * 10 + 5, 297)] }
    XCTAssertEqual(StrokeOrder.order([row], from: PagePoint(0, 297)), row)
  }

  func testPlotterSVGIsInMillimetresWithOnePolylinePerStroke() throws {
    let page = PlotterPage(width: 100, height: 50, margin: 5)
    let plot = try PlotterOutput(lines: [[[0, 0, 10, 10, 20, 0], [30, 0]]], page: page)
    let svg = plot.text(.svgPlotter, page: page, gcode: GCodeWriter())
    XCTAssertTrue(svg.contains("width=\"100mm\" height=\"50mm\" viewBox=\"0 0 100 50\""), svg)
    XCTAssertEqual(svg.components(separatedBy: "<polyline ").count - 1, 2, svg)
    XCTAssertTrue(svg.contains("fill=\"none\" stroke=\"black\""), svg)
    XCTAssertFalse(svg.contains("<path"), svg)
    // The ink is 30 x 10 units: scaled by 90 / 30 = 3, so the V is 30 mm wide and 30 mm high; the dot
    // at (30, 0) is a zero-length line at (95, 5).
    XCTAssertTrue(svg.contains("points=\"5.000,5.000 35.000,35.000 65.000,5.000\""), svg)
    XCTAssertTrue(svg.contains("points=\"95.000,5.000 95.000,5.000\""), svg)
  }

  func testGCodeAndHPGLPrograms() throws {
    let page = PlotterPage(width: 100, height: 50, margin: 5)
    let plot = try PlotterOutput(lines: [[[0, 0, 10, 10, 20, 0], [30, 0]]], page: page)
    let servo = plot.text(.gcode, page: page, gcode: GCodeWriter()).split(separator: "\n").map(String.init)
    // Travel from home (0, 0) to (5, 45) then the V; then the dot at (95, 45).
    XCTAssertEqual(
      Array(servo.drop { !$0.hasPrefix("G21") }),
      [
        "G21 ; millimetres", "G90 ; absolute coordinates", "M5",
        "G0 X5 Y45 F3000", "M3 S30", "G1 X35 Y15 F1000", "G1 X65 Y45", "M5",
        "G0 X95 Y45 F3000", "M3 S30", "M5",
      ])
    // A servo that needs time to settle: a dwell after each pen command, in seconds or milliseconds.
    var settle = GCodeWriter()
    settle.penDelay = 0.15
    let dwelling = plot.text(.gcode, page: page, gcode: settle)
    XCTAssertTrue(dwelling.contains("G0 X5 Y45 F3000\nM3 S30\nG4 P0.15\nG1 X35 Y15 F1000\nG1 X65 Y45\nM5\nG4 P0.15\n"), dwelling)
    XCTAssertEqual(dwelling.components(separatedBy: "G4 P0.15").count - 1, 5, "after the first lift and 2 strokes' 2")
    settle.dwellInMilliseconds = true
    XCTAssertTrue(plot.text(.gcode, page: page, gcode: settle).contains("M3 S30\nG4 P150\n"))
    var z = GCodeWriter()
    z.pen = .z(up: 3, down: -0.5)
    z.feed = 600
    let zProgram = plot.text(.gcode, page: page, gcode: z)
    XCTAssertTrue(zProgram.contains("G0 X5 Y45 F3000\nG1 Z-0.5 F600\nG1 X35 Y15 F600\nG1 X65 Y45\nG0 Z3\n"), zProgram)
    let hpgl = plot.text(.hpgl, page: page, gcode: z)
    XCTAssertEqual(hpgl, "IN;SP1;\nPU200,1800;PD1400,600,2600,1800;\nPU3800,1800;PD3800,1800;\nPU;SP0;\n")
  }

  /// The flags: defaults (A4, servo pen), a Z pen, and each mistake refused with what to do.
  func testPlotterFlags() throws {
    let plain = try PlotterFlags.parse(["--format", "gcode"])
    XCTAssertEqual(plain.page, PlotterPage(width: 210, height: 297, margin: 15, lineHeight: nil))
    XCTAssertEqual(plain.gcode, GCodeWriter(pen: .commands(down: "M3 S30", up: "M5"), feed: 1_000, travelFeed: 3_000))
    let z = try PlotterFlags.parse(
      ["--format", "gcode", "--pen-z-up", "2", "--pen-z-down", "-1", "--feed", "500", "--page-width", "100"])
    XCTAssertEqual(z.gcode, GCodeWriter(pen: .z(up: 2, down: -1), feed: 500, travelFeed: 3_000))
    XCTAssertEqual(z.page.width, 100)
    let delayed = try PlotterFlags.parse(["--format", "gcode", "--pen-delay", "0.2", "--dwell-milliseconds"])
    XCTAssertEqual(delayed.gcode.penDelay, 0.2)
    XCTAssertEqual(delayed.gcode.dwell, ["G4 P200"])
    let refused: [([String], String)] = [
      (["--format", "hpgl", "--pen-delay", "0.1"], "--pen-delay applies to G-code only; add --format gcode"),
      (["--format", "gcode", "--dwell-milliseconds"], "--dwell-milliseconds applies to a pen delay; add --pen-delay"),
      (["--format", "gcode", "--pen-delay", "70"], "--pen-delay must be a finite number in [0, 60] (seconds)"),
      (["--format", "hpgl", "--feed", "100"], "--feed applies to G-code only; add --format gcode"),
      (["--format", "gcode", "--pen-z-up", "3"], "give --pen-z-up and --pen-z-down together"),
      (["--format", "gcode", "--pen-z-up", "0", "--pen-z-down", "2"], "must be above --pen-z-down"),
      (["--format", "gcode", "--pen-z-up", "2", "--pen-z-down", "0", "--pen-up", "M5"], "not both"),
      (["--format", "svg-plotter", "--margin", "110"], "no room inside 110 mm margins"),
      (["--format", "svg-plotter", "--line-height", "0"], "--line-height must be a finite number in (0, 10000]"),
      (["--format", "gcode", "--pen-down", " "], "--pen-down must be one line of G-code"),
    ]
    for (args, message) in refused {
      XCTAssertThrowsError(try PlotterFlags.parse(args), "\(args)") { error in
        let text = PlotterFlags.message(for: error)
        XCTAssertTrue(text.contains(message), "\(args): \(text)")
      }
    }
    // A page flag without a plotter format (and without --file) is refused by the command, which
    // knows about --file.
    XCTAssertThrowsError(try Write.parse(["hi", "--model", "m", "--margin", "5"])) { error in
      let text = Write.message(for: error)
      XCTAssertTrue(
        text.contains("--margin applies to the plotter formats and to --file; add --format svg-plotter, gcode or hpgl"),
        text)
    }
  }

  /// The G-code of a page of scattered strokes, read by pygcode: millimetres and absolute distances,
  /// every position inside the page, drawing only with the pen down and travel only with it up, one
  /// pen-down per stroke; with servo commands and with Z heights.
  func testPygcodeReadsTheGCode() throws {
    let python = try Self.testToolsPython()
    let page = PlotterPage(width: 148, height: 210, margin: 12)
    let plot = try PlotterOutput(lines: Self.lines, page: page)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gcode-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var z = GCodeWriter()
    z.pen = .z(up: 4, down: 0)
    let cases: [(GCodeWriter, [String])] = [(GCodeWriter(), ["--servo", "M3 S30", "M5"]), (z, ["--z", "4", "0"])]
    for (writer, style) in cases {
      let file = dir.appendingPathComponent("page.gcode").path
      try plot.text(.gcode, page: page, gcode: writer).write(toFile: file, atomically: true, encoding: .utf8)
      let report = try Self.run(python, [Self.root + "/scripts/check-gcode.py", file] + style)
      let r = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any], report)
      XCTAssertEqual(r["units"] as? [String], ["mm"], report)
      XCTAssertEqual(r["distance"] as? [String], ["absolute"], report)
      XCTAssertEqual(r["pen_downs"] as? Int, 66, "one pen-down per stroke: \(report)")
      XCTAssertEqual(r["draws_pen_up"] as? Int, 0, report)
      XCTAssertEqual(r["travels_pen_down"] as? Int, 0, report)
      XCTAssertEqual(r["travel_moves"] as? Int, 66, report)
      for key in ["min_x", "min_y"] { XCTAssertGreaterThanOrEqual(r[key] as! Double, 0, report) }
      XCTAssertLessThanOrEqual(r["max_x"] as! Double, 148, report)
      XCTAssertLessThanOrEqual(r["max_y"] as! Double, 210, report)
      // The pen-up path pygcode measures is the travel the command reports (to G-code's 0.001 mm).
      XCTAssertEqual(r["travel_mm"] as! Double, plot.travelAfter, accuracy: 0.01 * 66, report)
      let drawn = plot.strokes.map { s in zip(s, s.dropFirst()).map { $0.distance(to: $1) }.reduce(0, +) }.reduce(0, +)
      XCTAssertEqual(
        r["drawn_mm"] as! Double, drawn, accuracy: 0.01 * Double(plot.strokes.flatMap { $0 }.count), report)
    }
  }

  /// The package's root folder (this file is Tests/SketchTests/PlotterTests.swift).
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

  /// The Python of .build/test-tools/venv with pygcode, installed by scripts/install-test-tools.sh when
  /// missing; a failure to install fails the test with the script's reason (never a skip).
  static func testToolsPython() throws -> String {
    let python = root + "/.build/test-tools/venv/bin/python"
    _ = try run("/bin/bash", [root + "/scripts/install-test-tools.sh"])
    guard FileManager.default.isExecutableFile(atPath: python) else {
      throw SketchProcessError("scripts/install-test-tools.sh ran but \(python) is missing")
    }
    return python
  }

  /// Runs `program` with `arguments`; its standard output, or an error with its output and status.
  static func run(_ program: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw SketchProcessError(
        "\(program) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): "
          + String(decoding: errors + output, as: UTF8.self))
    }
    return String(decoding: output, as: UTF8.self)
  }
}
