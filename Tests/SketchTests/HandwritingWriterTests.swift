import Codegen
import Foundation
import XCTest

@testable import Sketch

/// The writing engine on a tiny synthesis model with random weights whose window moves at a chosen
/// speed: the stop rule ends lines, unknown characters are refused with the alphabet, and draws whose
/// window never reaches the end are redrawn and reported.
final class HandwritingWriterTests: XCTestCase {
  let alphabet = Array(" abcdeh")

  /// A model of depth 2, width 8, 2 window components, 3 mixture components; its window moves by
  /// about `speed` characters per point (each component's kappa bias is log(speed)).
  func model(speed: Double) -> SynthesisModel {
    let (L, D, K, M, A) = (2, 8, 2, 3, alphabet.count)
    let key = RandomKey(seed: 5)
    let shapes = SynthesisModel.parameterShapes(depth: L, dim: D, window: K, mixture: M, alphabet: A)
    let vars = shapes.enumerated().map { k, entry -> Var in
      var t = Initializer.uniform(entry.1, width: 0.08, key: key.fold(UInt64(k)))
      if entry.0 == "window/b" {
        var v = t.array(Float.self)
        for j in (2 * K)..<(3 * K) { v[j] = Float(Foundation.log(speed)) }
        t = Tensor(shape: entry.1, v)
      }
      return shared(t, name: entry.0)
    }
    return SynthesisModel(depth: L, dim: D, window: K, mixture: M, alphabet: A, epsilon: 1e-5, variables: vars)
  }

  func testLinesStopAtTheEndOfTheirText() throws {
    let writer = try HandwritingWriter(model: model(speed: 0.25), alphabet: alphabet)
    let lines = try writer.write(["abc", "he had a bed", ""], bias: 0.5, seed: 1)
    XCTAssertEqual(lines.map(\.text), ["abc", "he had a bed", ""])
    for line in lines {
      XCTAssertEqual(line.draws, 1, "\(line.text): \(line.refusals)")
      // A window moving 0.25 characters per point passes n characters after about 4n points.
      let n = Double(line.text.count)
      XCTAssertGreaterThan(Double(line.offsets.count), 4 * n - 6, line.text)
      XCTAssertLessThan(Double(line.offsets.count), 4 * n + 12, line.text)
    }
    XCTAssertEqual(lines[2].offsets.count, 0, "an empty text stops at once")
    // The same seed draws the same lines; a line's draw does not depend on the other lines' lengths.
    let again = try writer.write(["abc", "he had a bed", ""], bias: 0.5, seed: 1)
    XCTAssertEqual(again[1].offsets.map(\.dx), lines[1].offsets.map(\.dx))
    let other = try writer.write(["abc", "he had a bed a bed"], bias: 0.5, seed: 1)
    XCTAssertEqual(other[0].offsets.count, lines[0].offsets.count)
  }

  func testUnknownCharactersAreRefusedWithTheAlphabet() throws {
    let writer = try HandwritingWriter(model: model(speed: 0.25), alphabet: alphabet)
    XCTAssertThrowsError(try writer.write(["a bad zebra?"], bias: 0, seed: 0)) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("'?', 'r', 'z'"), text)
      XCTAssertTrue(text.contains("\" abcdeh\""), text)
    }
  }

  func testAWindowThatNeverReachesTheEndIsRedrawnAndReported() throws {
    var writer = try HandwritingWriter(model: model(speed: 0.002), alphabet: alphabet)
    writer.maxDraws = 3
    let line = try writer.write(["abcd"], bias: 0, seed: 0)[0]
    XCTAssertEqual(line.draws, 3)
    XCTAssertEqual(line.refusals.count, 3, "\(line.refusals)")
    XCTAssertTrue(line.refusals[0].contains("did not reach the end of the text within 200 points"), "\(line.refusals)")
    XCTAssertTrue(line.refusals[2].hasSuffix("(kept: last draw)"))
  }

  func testAWindowThatRacesPastTheTextIsRedrawnAndReported() throws {
    var writer = try HandwritingWriter(model: model(speed: 3), alphabet: alphabet)
    writer.maxDraws = 2
    let line = try writer.write(["he had a bed"], bias: 0, seed: 0)[0]
    XCTAssertEqual(line.draws, 2)
    XCTAssertLessThan(line.offsets.count, 3 * 12)
    XCTAssertTrue(line.refusals[0].contains("passed the end of the text after"), "\(line.refusals)")
    XCTAssertTrue(line.refusals[0].contains("(fewer than 36)"), "\(line.refusals)")
  }

  func testAPrimedLineWritesOnlyTheNewText() throws {
    let writer = try HandwritingWriter(model: model(speed: 0.25), alphabet: alphabet)
    let primer = HandwritingWriter.Primer(
      offsets: (0..<12).map { (dx: 0.3, dy: $0 % 3 == 0 ? 0.5 : -0.2, pen: $0 % 4 == 3 ? 1 : 0) }, text: "bad")
    let line = try writer.write(["he"], bias: 0.5, seed: 2, primer: primer)[0]
    XCTAssertEqual(line.draws, 1, "\(line.refusals)")
    // The primer's 12 points moved the window by about 3 characters already; the rest is "he".
    XCTAssertLessThan(line.offsets.count, 4 * 2 + 10)
    XCTAssertGreaterThan(line.offsets.count, 0)
    // The window read the primer's text, a space, then the line's: one phi column per character.
    XCTAssertEqual(line.windowText, "bad he")
    XCTAssertEqual(line.phi.first?.count, 6)
  }

  /// The files of a written line: absolute strokes in data units, one SVG path per stroke, and the
  /// attention image's size.
  func testOutputsOfAWrittenLine() throws {
    let offsets: [(dx: Double, dy: Double, pen: Double)] = [(1, 0, 0), (1, 1, 1), (0, -2, 0), (2, 0, 1), (1, 1, 0)]
    let strokes = WritingOutput.strokes(offsets, scale: (x: 10, y: 5))
    XCTAssertEqual(strokes, [[10, 0, 20, 5], [20, -5, 40, -5], [50, 0]])
    let svg = WritingOutput.svg([strokes, strokes])
    XCTAssertEqual(svg.components(separatedBy: "<path ").count - 1, 6, svg)
    XCTAssertTrue(svg.contains("M"), svg)
    // The attention plot (its pixels: PlotCanvasTests.testPenPlotAndAttentionPlot): one row per character.
    let phi: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0], [0, 0, 2]]
    XCTAssertEqual(WritingOutput.attention(phi, points: 3, text: "abc").png().height, 34 + 3 * 12 + 52)
  }

  /// Primers from an SVG drawing (normalised by its own deviations) and a dataset line, and the
  /// mistakes a user can make with them.
  func testPrimerFiles() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("primer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let svg = dir.appendingPathComponent("mine.svg")
    try """
    <svg xmlns="http://www.w3.org/2000/svg"><path d="M 0 0 L 10 5 L 15 0 L 30 5"/><path d="M 42 0 L 50 10"/></svg>
    """.write(to: svg, atomically: true, encoding: .utf8)
    let p = try PrimerFile.load(svg.path, text: "hi")
    XCTAssertEqual(p.text, "hi")
    XCTAssertEqual(p.offsets.filter { $0.pen > 0.5 }.count, 2, "two strokes")
    let dxs = p.offsets.map(\.dx)
    let mean = dxs.reduce(0, +) / Double(dxs.count)
    let std = (dxs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dxs.count)).squareRoot()
    XCTAssertEqual(std, 1, accuracy: 1e-6, "normalised by its own deviation")
    XCTAssertThrowsError(try PrimerFile.load(svg.path, text: nil)) { XCTAssertTrue("\($0)".contains("--prime-text"), "\($0)") }
    let txt = dir.appendingPathComponent("notes.txt")
    try "x".write(to: txt, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try PrimerFile.load(txt.path, text: "x")) { XCTAssertTrue("\($0)".contains(".xml"), "\($0)") }
    XCTAssertThrowsError(try PrimerFile.load(dir.appendingPathComponent("d.h5:x").path, text: nil)) {
      XCTAssertTrue("\($0)".contains("must be a line number"), "\($0)")
    }
  }
}
