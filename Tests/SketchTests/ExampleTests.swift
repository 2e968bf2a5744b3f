import Foundation
import XCTest

/// The example programs (Sources/Sketch/Examples), built with the tests and run as a user runs them:
/// each one trains and must actually learn (its cost falls well below where it started), and bad
/// arguments end in a clear message and a non-zero status.
final class ExampleTests: XCTestCase {
  /// The numbers printed after `label` on the lines of `output` that contain it.
  func values(_ label: String, in output: String) -> [Double] {
    output.split(separator: "\n").compactMap { line in
      guard let r = line.range(of: label + " ") else { return nil }
      return Double(line[r.upperBound...].split(separator: " ").first ?? "")
    }
  }

  func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("examples-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
  }

  func testCharLanguageModelLearnsAndSamplesFromItsText() throws {
    let dir = try temporaryDirectory()
    // A text with a few words in varying order: learnable, and its letter pairs are known.
    let words = ["the ", "cat ", "sat ", "on ", "a ", "mat ", "and ", "ran "]
    var state: UInt64 = 5
    let text = (0..<1500).map { _ -> String in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return words[Int(state >> 33) % words.count]
    }.joined()
    let file = dir.appendingPathComponent("text.txt")
    try text.write(to: file, atomically: true, encoding: .utf8)
    let r = try SketchExecutable.run(
      [file.path, "--steps", "120", "--hidden", "64"], in: dir.path, timeout: 600, program: "CharLanguageModel")
    XCTAssertEqual(r.status, 0, r.output)
    let losses = values("loss", in: r.output)
    XCTAssertGreaterThanOrEqual(losses.count, 3, r.output)
    // It starts near log(vocabulary size) and learns the words' spelling.
    XCTAssertEqual(losses[0], log(Double(Set(text).count)), accuracy: 0.5, r.output)
    XCTAssertLessThan(losses.last!, 0.6 * losses[0], r.output)
    XCTAssertGreaterThan(values("median step", in: r.output).first ?? 0, 0, r.output)
    // The sample is drawn with the trained weights: most of its letter pairs occur in the text.
    let sample = try XCTUnwrap(r.output.components(separatedBy: "sample: ").last)
    let chars = Array(sample.prefix(200))
    let pairs = Set(zip(text, text.dropFirst()).map { "\($0)\($1)" })
    let known = zip(chars, chars.dropFirst()).filter { pairs.contains("\($0)\($1)") }.count
    XCTAssertGreaterThan(Double(known) / Double(chars.count - 1), 0.8, "sample: \(sample)")
    // Bad input: a clear message, a non-zero status.
    let missing = try SketchExecutable.run([dir.appendingPathComponent("nope.txt").path], program: "CharLanguageModel")
    XCTAssertEqual(missing.status, 2)
    XCTAssertTrue(missing.output.contains("usage: CharLanguageModel FILE"), missing.output)
    let badSteps = try SketchExecutable.run([file.path, "--steps", "x"], program: "CharLanguageModel")
    XCTAssertEqual(badSteps.status, 2)
    XCTAssertTrue(badSteps.output.contains("--steps takes a positive integer"), badSteps.output)
  }

  func testBidirectionalTaggerNeedsBothDirectionsAndLearnsThem() throws {
    let r = try SketchExecutable.run(["--steps", "200"], timeout: 600, program: "BidirectionalTagger")
    XCTAssertEqual(r.status, 0, r.output)
    // The tag names both neighbours (one direction alone sees only one of them), and the padding is
    // random tokens that would mislead the backward direction if the mask did not hide them.
    let accuracy = try XCTUnwrap(values("accuracy", in: r.output).last, r.output)
    XCTAssertGreaterThan(accuracy, 0.97, r.output)
    let costs = values("cost", in: r.output)
    XCTAssertLessThan(costs.last!, 0.1 * costs[0], r.output)
    let bad = try SketchExecutable.run(["--steps", "0"], program: "BidirectionalTagger")
    XCTAssertEqual(bad.status, 2, bad.output)
  }

  func testHandwritingPredictionLearnsAndWritesAnSVG() throws {
    let dir = try temporaryDirectory()
    let svg = dir.appendingPathComponent("sample.svg")
    let r = try SketchExecutable.run(
      ["--steps", "150", "--svg", svg.path], in: dir.path, timeout: 600, program: "HandwritingPrediction")
    XCTAssertEqual(r.status, 0, r.output)
    let nll = values("nll", in: r.output)
    XCTAssertGreaterThanOrEqual(nll.count, 3, r.output)
    XCTAssertLessThan(nll.last!, nll[0] - 1.5, "the mixture density fits the pen motion: \(r.output)")
    let text = try String(contentsOf: svg, encoding: .utf8)
    XCTAssertTrue(text.hasPrefix("<svg"), text)
    // 300 sampled points, each a line or a move, with finite coordinates.
    let commands = text.components(separatedBy: " L ").count + text.components(separatedBy: " M ").count - 2
    XCTAssertEqual(commands, 300, text.prefix(300) + "")
    XCTAssertFalse(text.contains("nan") || text.contains("inf"), text.prefix(300) + "")
    XCTAssertFalse(FileManager.default.fileExists(atPath: svg.path + ".tmp"))
  }

  /// docs/library.md shows the char-LM and its JAX twin as they are in the repository.
  func testLibraryPageShowsTheProgramsAsTheyAre() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let page = try String(contentsOf: root.appendingPathComponent("docs/library.md"), encoding: .utf8)
    for file in ["Sources/Sketch/Examples/CharLanguageModel/main.swift", "scripts/char-lm-jax.py"] {
      let code = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
      XCTAssertTrue(page.contains(code.trimmingCharacters(in: .newlines)), "docs/library.md shows \(file) as it is")
    }
  }
}
