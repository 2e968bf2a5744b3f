import Codegen
import Foundation
import XCTest

@testable import Sketch

/// The synthesis model that ships with the repository (`models/writer`): it loads, knows the built-in
/// dataset's styles, and priming with a line of one style moves the writing towards that style (Graves
/// 5.5), measured by a statistic the styles differ in: strokes per character (connected script lifts
/// the pen about 0.7 times per letter, upright print about 1.7 times).
final class ShippedWriterTests: XCTestCase {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let modelFile = root.appendingPathComponent("models/writer/model.h5").path
  /// Texts that are not lines of the training data (the generator writes word-list sentences).
  static let texts = ["quick brown fox", "pack my box with", "five dozen jugs"]

  /// Strokes per character (spaces not counted) of the lines of each style of a freshly generated
  /// built-in dataset (the shipped model's training recipe), by style name.
  func datasetStrokesPerCharacter() throws -> [String: Double] {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shipped-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let made = try SketchProcess.run(["data", "hershey", "-o", "d.h5", "--lines", "400", "--seed", "11"], in: dir)
    XCTAssertEqual(made.status, 0, made.output)
    let data = try StrokeDataset(path: dir.appendingPathComponent("d.h5").path)
    let texts = try XCTUnwrap(try data.transcriptions())
    var strokes = [Int](repeating: 0, count: data.styleNames.count)
    var characters = strokes
    for line in 0..<data.count {
      let rows = try data.rows(line)
      strokes[data.styles[line]] += StrokeRows.strokeCount(pens: stride(from: 2, to: rows.count, by: 3).map { Double(rows[$0]) })
      characters[data.styles[line]] += texts[line].filter { $0 != " " }.count
    }
    return Dictionary(uniqueKeysWithValues: data.styleNames.indices.map {
      (data.styleNames[$0], Double(strokes[$0]) / Double(Swift.max(1, characters[$0])))
    })
  }

  /// Issue 14's target: primed with a style's line, the writing lifts the pen within 25% as often per
  /// character as that style's own lines do, and not within 25% of the other style's rate. The shipped
  /// model (3 h 34 min of training in two runs) writes 0.67 strokes per character primed with
  /// `scripts` (dataset 0.67) and 1.82 primed with `futural` (dataset 1.67; docs/synthesis.md).
  func testPrimingWithAStyleMovesTheWritingTowardsThatStyle() throws {
    XCTAssertTrue(FileManager.default.fileExists(atPath: Self.modelFile), "the shipped model \(Self.modelFile) is missing")
    let contents = try Checkpoint.read(Self.modelFile)
    XCTAssertTrue(contents.config.synthesis)
    let alphabet = try XCTUnwrap(contents.config.alphabet).compactMap { Unicode.Scalar($0).map(Character.init) }
    // On the native backend also in the debug-mode run: a trained sampler's draws over a thousand
    // steps turn on thresholds (the component, the pen) that float rounding can flip, so the two
    // backends' strokes part ways; their agreement is tested on the samplers of SynthesisCostTests.
    let writer = try HandwritingWriter(
      model: SynthesisModel(config: contents.config, values: contents.parameters), alphabet: alphabet, mode: .native)
    let styles = try StyleSamples.load(besides: Self.modelFile)
    XCTAssertEqual(styles.samples.map(\.name), WritingStyle.all.map(\.name))
    let expected = try datasetStrokesPerCharacter()
    print("strokes per character of the dataset's styles: \(expected)")
    XCTAssertGreaterThan(expected["futural"]!, 2 * expected["scripts"]!, "print lifts the pen more often than script")
    var rate: [String: Double] = [:]
    for style in ["scripts", "futural"] {
      let lines = try writer.write(Self.texts, bias: 0.5, seed: 3, primer: styles.primer(style))
      // Every line ends with a draw the guards accept (a redraw or two is the guards at work).
      XCTAssertFalse(lines.contains { $0.refusals.last?.hasSuffix("(kept: last draw)") == true }, "\(lines.map(\.refusals))")
      let strokes = lines.map { StrokeRows.strokeCount(pens: $0.offsets.map(\.pen)) }.reduce(0, +)
      let characters = Self.texts.map { $0.filter { $0 != " " }.count }.reduce(0, +)
      rate[style] = Double(strokes) / Double(characters)
      print("primed with \(style): \(rate[style]!) strokes per character (dataset: \(expected[style]!))")
    }
    for (style, other) in [("scripts", "futural"), ("futural", "scripts")] {
      XCTAssertLessThan(abs(rate[style]! / expected[style]! - 1), 0.25, "primed with \(style): \(rate[style]!) strokes per character")
      XCTAssertGreaterThan(abs(rate[style]! / expected[other]! - 1), 0.25, "primed with \(style), not \(other)'s rate")
    }
  }
}
