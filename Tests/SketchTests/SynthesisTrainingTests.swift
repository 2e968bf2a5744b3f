import Codegen
import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// `sketch train --synthesis` (issue 14, point 2): the alphabet, the text batches, and a tiny run of
/// the built `sketch` end to end (checkpoint with the alphabet, resume, falling test NLL, samples of
/// held-out texts cut at their stop steps); a dataset without transcriptions is a clear error.
final class SynthesisTrainingTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-synth-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func testComputedAlphabetIsTheTranscriptionsSortedCharacters() throws {
    let a = Alphabet.computed(from: ["ba c", "", "cab!", "é"])
    XCTAssertEqual(a.codePoints, [32, 33, 97, 98, 99, 233])
    XCTAssertEqual(try a.encode("cab é", what: "t"), [4, 2, 3, 0, 5])
    XCTAssertEqual(a.decode([3, 2, 0]), "ba ")
    XCTAssertThrowsError(try a.encode("abz", what: "line 3's text")) {
      XCTAssertTrue("\($0)".contains("line 3's text has the character \"z\" (U+7A)"), "\($0)")
    }
  }

  func testAStoredAlphabetIsReadElseItIsComputed() throws {
    let path = dir.appendingPathComponent("a.h5").path
    let f = try HDF5File.create(path)
    try f.write(Tensor(shape: [4], [Int32(32), 97, 98, 122]), to: "alphabet")
    try f.commit()
    XCTAssertEqual(try Alphabet.of(datasetAt: path, texts: ["ab", "b a"]).codePoints, [32, 97, 98, 122])
    XCTAssertThrowsError(try Alphabet.of(datasetAt: path, texts: ["abc"]), "a text outside the stored alphabet")
    let plain = dir.appendingPathComponent("b.h5").path
    let g = try HDF5File.create(plain)
    try g.write(Tensor(shape: [1], [Int32(0)]), to: "lengths")
    try g.commit()
    XCTAssertEqual(try Alphabet.of(datasetAt: plain, texts: ["ab", "b a"]).codePoints, [32, 97, 98])
  }

  func testTextBatchesPutRealCharactersFirstAndPadWithZeros() {
    let a = Alphabet.computed(from: ["abc", "b", ""])
    let t = try! TextBatches(transcriptions: ["abc", "b", "", "ca"], alphabet: a, path: "d.h5")
    let (chars, cmask) = t.tensors(for: [3, 1, 0, 2])
    XCTAssertEqual(chars.shape, [4, 3])
    XCTAssertEqual(chars.array(Int32.self), [2, 0, 0, 1, 0, 0, 0, 1, 2, 0, 0, 0])
    XCTAssertEqual(cmask.array(Float.self), [1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0])
    // Only empty texts: one padding column.
    XCTAssertEqual(t.tensors(for: [2]).cmask.shape, [1, 1])
  }

  /// The dataset loader's synthesis batches: the strokes as the prediction network's, the texts of the
  /// batch's lines (`indices`).
  func testDatasetBatchesCarryTheirLinesTexts() throws {
    let made = try SketchProcess.run(["data", "hershey", "-o", "d.h5", "--lines", "40", "--seed", "5"], in: dir)
    XCTAssertEqual(made.status, 0, made.output)
    let path = dir.appendingPathComponent("d.h5").path
    let dataset = try StrokeDataset(path: path)
    let texts = try XCTUnwrap(try dataset.transcriptions())
    let alphabet = try SynthesisData.alphabet(path)
    XCTAssertEqual(alphabet, Alphabet.computed(from: texts))
    let source = try DatasetBatches(path: path, batchSize: 4, maxLength: 100, seed: 1, alphabet: alphabet)
    let plain = try DatasetBatches(path: path, batchSize: 4, maxLength: 100, seed: 1)
    let loader = try BatchLoader(dataset: dataset, split: .train, batchSize: 4, maxLength: 100, seed: 1)
    let schedule = loader.schedule(epoch: 0)
    let b = try source.trainBatches(epoch: 0).load(0)
    XCTAssertEqual(b.strokes, try plain.trainBatches(epoch: 0).load(0).strokes)
    XCTAssertNil(try plain.trainBatches(epoch: 0).load(0).chars)
    let chars = try XCTUnwrap(b.chars).array(Int32.self)
    let cmask = try XCTUnwrap(b.cmask).array(Float.self)
    let U = b.chars!.shape[1]
    for (row, line) in schedule[0].enumerated() {
      let n = Int(cmask[(row * U)..<((row + 1) * U)].reduce(0, +))
      XCTAssertEqual(alphabet.decode(Array(chars[(row * U)..<(row * U + n)])), texts[line])
    }
    let test = Array(dataset.range(.test))
    XCTAssertEqual(source.sampleTexts, Array(test.map { texts[$0] }.filter { !$0.isEmpty }.prefix(8)))
  }

  func testADatasetWithoutTranscriptionsIsAClearError() throws {
    var records: [StrokeRecord] = []
    for n in 0..<12 {
      var rows: [Float] = []
      for t in 0..<20 { rows += [Float(t % 5), Float(n % 3), t % 7 == 6 ? 1 : 0] }
      records.append(StrokeRecord(rows: rows, transcription: "", source: "l\(n)"))
    }
    let path = dir.appendingPathComponent("untranscribed.h5").path
    let description = StrokeDatasetDescription(kind: "svg", units: "px", maxPoints: 0, seed: 0)
    _ = try StrokeDatasetWriter.write(records, to: path, description: description)
    let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    let noDataset = fixtures.appendingPathComponent("data_fuel_layout.h5").path
    for data in [path, noDataset] {
      let r = try SketchProcess.run(["train", "--synthesis", "--data", data, "--dim", "4", "--depth", "1"], in: dir)
      XCTAssertTrue(r.status == 1 || r.status == 2, "status \(r.status): \(r.output)")
      XCTAssertTrue(r.output.contains("has no transcriptions, which --synthesis needs"), r.output)
      XCTAssertTrue(r.output.contains("--ascii"), r.output)
      XCTAssertFalse(r.output.contains("Fatal error"), r.output)
    }
  }

  static let flags = [
    "--synthesis", "--window", "3", "--data", "d.h5", "--dim", "12", "--depth", "2", "--mix-dim", "3", "--bs", "8",
    "--lr", "0.01", "--max-length", "120", "--test-every", "10", "--test-batches", "2", "--sample-every", "20",
    "--save-every", "10", "--grid", "2", "--threads", "1",
  ]
  static let folderName = "handwriting-2X12m3d0r12b8e15-L120G10-synthesisK3"

  /// A fresh network's window starts at about 1/25 character per point (its kappa bias), so that it
  /// reads the text from the first batches instead of racing past its end.
  func testAnUntrainedWindowMovesAtAboutTheSpeedOfWriting() throws {
    for uniform in [0.0, 0.08] {
      let config = ModelConfig(
        depth: 2, dim: 16, mixDim: 3, uniform: uniform, synthesis: true, window: 3, alphabet: [32, 97, 98, 99])
      guard case .synthesis(let model) = Network(config: config, seed: 4) else { return XCTFail("not a synthesis network") }
      let bias = try XCTUnwrap(model.parameters.first { $0.name == "window/b" }).variable.sharedVariable!.value.doubles
      XCTAssertEqual(Array(bias[0..<6]), [0, 0, 0, 0, 0, 0])
      for b in bias[6..<9] { XCTAssertEqual(b, Foundation.log(1.0 / 25), accuracy: 1e-6) }
      // Ten characters take each sampled line well over a hundred points (a zero bias: about ten).
      let sampler = try compileSynthesisSampler(model: model)
      let (B, U, S) = (4, 10, 600)
      let chars = Tensor(shape: [B, U], (0..<(B * U)).map { Int32($0 % 4) })
      let out = try sampler(
        chars, Tensor.filled(1, dtype: .float32, shape: [B, U]), synthesisNoise(steps: S, batch: B, seed: 1),
        Tensor.filled(0, dtype: .float32, shape: [B]))
      for stop in out[1].array(Int32.self) { XCTAssertGreaterThan(stop, 100, "uniform \(uniform)") }
    }
  }

  func testATinySynthesisRunEndToEnd() throws {
    let made = try SketchProcess.run(["data", "hershey", "-o", "d.h5", "--lines", "60", "--seed", "5"], in: dir)
    XCTAssertEqual(made.status, 0, made.output)
    let first = try SketchProcess.run(["train"] + Self.flags + ["--max-batches", "30"], in: dir)
    XCTAssertEqual(first.status, 0, first.output)
    XCTAssertTrue(first.output.contains("Running experiment \(Self.folderName)"), first.output)
    let folder = dir.appendingPathComponent(Self.folderName)

    // The checkpoint: a synthesis config with the window and the dataset's alphabet.
    let saved = try Checkpoint.read(folder.appendingPathComponent("model.h5").path)
    XCTAssertTrue(saved.config.synthesis)
    XCTAssertEqual(saved.config.window, 3)
    let texts = try XCTUnwrap(try StrokeDataset(path: dir.appendingPathComponent("d.h5").path).transcriptions())
    XCTAssertEqual(saved.config.alphabet, Alphabet.computed(from: texts).codePoints)
    XCTAssertEqual(saved.parameters["window/W"]?.shape, [12, 9])
    let A = Set(texts.joined().unicodeScalars.map(\.value)).count
    XCTAssertEqual(saved.parameters["transition/layer1/W"]?.shape, [3 + A + 12, 48])
    XCTAssertEqual(saved.position.step, 30)

    // Resume: the run continues at its position, with its alphabet, and the test NLL falls.
    let second = try SketchProcess.run(["train"] + Self.flags + ["--max-batches", "60", "--model", "continue"], in: dir)
    XCTAssertEqual(second.status, 0, second.output)
    XCTAssertTrue(second.output.contains("continuing \(Self.folderName) at epoch"), second.output)
    XCTAssertEqual(try Checkpoint.read(folder.appendingPathComponent("model.h5").path).position.step, 60)
    let tests = TinyRun.metrics(folder).compactMap { r in
      (r["test_nll_per_point"] as? Double).map { (r["step"] as! Int, $0) }
    }
    // Every 10 steps and at each epoch's end (12 batches: 54 training lines, 6 length buckets of 9, batches of 8).
    XCTAssertEqual(tests.map(\.0), [10, 12, 20, 24, 30, 36, 40, 48, 50, 60])
    let nll = tests.map(\.1)
    XCTAssertLessThan(nll.last!, nll.first! - 0.2, "the test NLL per point falls: \(nll)")
    print("synthesis tiny run, test NLL per point at steps \(tests.map(\.0)): \(nll)")
    XCTAssertTrue(nll.allSatisfy(\.isFinite))
    let costs = TinyRun.metrics(folder).compactMap { $0["train_cost"] as? Double }
    XCTAssertEqual(costs.count, 7, "steps 1, 10, ..., 60")

    // Samples: the held-out texts at each interval and at the end, each row cut at its stop step.
    for name in ["samples/sketch-000020.png", "samples/sketch-000040.svg", "samples/sketch-000060.txt", "sketch.png",
      "pen.png", "sketch.svg", "sketch.txt", "loss.png", "loss.svg"]
    {
      XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), name)
    }
    let listing = try String(contentsOf: folder.appendingPathComponent("sketch.txt"), encoding: .utf8)
      .split(separator: "\n").map { $0.split(separator: "\t", maxSplits: 1).map(String.init) }
    XCTAssertFalse(listing.isEmpty)
    let source = try DatasetBatches(
      path: dir.appendingPathComponent("d.h5").path, batchSize: 8, maxLength: 120, seed: 0,
      alphabet: Alphabet(codePoints: saved.config.alphabet!))
    XCTAssertEqual(listing.map { $0[1] }, source.sampleTexts)
    for row in listing { XCTAssertTrue((0...120).contains(Int(row[0])!), "stop step \(row[0])") }
    // The same seed gives the same samples.
    let again = try SketchProcess.run(
      ["train"] + Self.flags + ["--max-batches", "60", "--model", "continue"], in: dir)
    XCTAssertEqual(again.status, 0, again.output)
    XCTAssertEqual(
      try String(contentsOf: folder.appendingPathComponent("sketch.txt"), encoding: .utf8),
      listing.map { $0.joined(separator: "\t") + "\n" }.joined())

    // `sketch sample` explains that a synthesis model writes given texts.
    let sample = try SketchProcess.run(["sample", "--model", Self.folderName], in: dir)
    XCTAssertEqual(sample.status, 1, sample.output)
    XCTAssertTrue(sample.output.contains("is a synthesis model"), sample.output)

    // `sketch write` with the trained model: PNG, SVG and attention written, lines reported, the data's
    // scale recorded in the model file; unknown characters refused with the alphabet.
    XCTAssertNotNil(try Checkpoint.read(folder.appendingPathComponent("model.h5").path).scale)
    let phrase = String(texts[0].prefix(6))
    let w = try SketchProcess.run(["write", phrase, "--model", Self.folderName, "-o", "out", "--max-draws", "2"], in: dir)
    XCTAssertEqual(w.status, 0, w.output)
    XCTAssertTrue(w.output.contains("line 1: "), w.output)
    for name in ["out.png", "out.svg", "out-attention.png"] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), name)
    }
    let svg = try String(contentsOf: dir.appendingPathComponent("out.svg"), encoding: .utf8)
    XCTAssertTrue(svg.contains("<path d=\"M"), svg.prefix(400) + "")
    try "\(phrase)\n\n\(texts[1].prefix(4))\n".write(to: dir.appendingPathComponent("lines.txt"), atomically: true, encoding: .utf8)
    let two = try SketchProcess.run(["write", "--lines", "lines.txt", "--model", Self.folderName, "-o", "two"], in: dir)
    XCTAssertEqual(two.status, 0, two.output)
    XCTAssertTrue(two.output.contains("line 2: "), two.output)
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("two-attention-2.png").path))
    // Plotter output (docs/writing.md): G-code with a Z axis and an SVG in millimetres, one pen-down
    // move per stroke, the pen-up travel reported and never longer after ordering.
    let plotFlags = ["--model", Self.folderName, "--max-draws", "2"]
    let g = try SketchProcess.run(
      ["write", "--lines", "lines.txt", "-o", "plot", "--format", "gcode", "--pen-z-up", "3", "--pen-z-down", "0"]
        + plotFlags, in: dir)
    XCTAssertEqual(g.status, 0, g.output)
    let strokeCount = g.output.split(separator: "\n").filter { $0.hasPrefix("line ") }.map {
      Int($0.split(separator: " ")[4])!
    }.reduce(0, +)
    let gcode = try String(contentsOf: dir.appendingPathComponent("plot.gcode"), encoding: .utf8)
    XCTAssertTrue(gcode.contains("G21") && gcode.contains("G90"), gcode)
    XCTAssertEqual(gcode.components(separatedBy: "G1 Z0 F1000\n").count - 1, strokeCount, g.output)
    let travel = try XCTUnwrap(g.output.split(separator: "\n").first { $0.hasPrefix("pen-up travel: ") }, g.output)
      .split(separator: " ").compactMap { Double($0) }
    XCTAssertEqual(travel.count, 2, g.output)
    XCTAssertLessThanOrEqual(travel[1], travel[0], g.output)
    let p = try SketchProcess.run(
      ["write", phrase, "-o", "plot", "--format", "svg-plotter", "--margin", "20"] + plotFlags, in: dir)
    XCTAssertEqual(p.status, 0, p.output)
    let plotted = try String(contentsOf: dir.appendingPathComponent("plot.svg"), encoding: .utf8)
    XCTAssertTrue(plotted.contains("width=\"210mm\" height=\"297mm\" viewBox=\"0 0 210 297\""), plotted)
    let lineStrokes = Int(p.output.split(separator: "\n").first { $0.hasPrefix("line 1: ") }!.split(separator: " ")[4])!
    XCTAssertEqual(plotted.components(separatedBy: "<polyline ").count - 1, lineStrokes, p.output)
    let misplaced = try SketchProcess.run(["write", phrase, "--page-width", "100"] + plotFlags, in: dir)
    XCTAssertEqual(misplaced.status, 64, misplaced.output)
    XCTAssertTrue(misplaced.output.contains("--page-width applies to the plotter formats"), misplaced.output)
    let tooBig = try SketchProcess.run(
      ["write", phrase, "--format", "hpgl", "--line-height", "400"] + plotFlags, in: dir)
    XCTAssertEqual(tooBig.status, 64, tooBig.output)
    XCTAssertTrue(tooBig.output.contains("give a smaller --line-height"), tooBig.output)
    let unknown = try SketchProcess.run(["write", "ab\u{2603}", "--model", Self.folderName], in: dir)
    XCTAssertNotEqual(unknown.status, 0, unknown.output)
    XCTAssertTrue(unknown.output.contains("cannot write '\u{2603}'"), unknown.output)
    XCTAssertTrue(unknown.output.contains("it knows only"), unknown.output)
    // Legibility of what the model writes (a tiny model writes scribble: the rate is computed, not good).
    let legible = try SketchProcess.run(
      ["eval", "legibility", "--model", Self.folderName, "--data", "d.h5", "--lines", "2"], in: dir)
    XCTAssertEqual(legible.status, 0, legible.output)
    let rate = legible.output.split(separator: "\n").first { $0.hasPrefix("character error rate") }
      .flatMap { Double($0.split(separator: " ")[3]) }
    XCTAssertNotNil(rate, legible.output)
    XCTAssertTrue(legible.output.contains("lines written by"), legible.output)
    // Styles by name: the run kept one test line of each of the data's styles next to its model.
    let data = try StrokeDataset(path: dir.appendingPathComponent("d.h5").path)
    let styles = try StyleSamples.load(besides: folder.appendingPathComponent("model.h5").path)
    let present = data.styleNames.enumerated().filter { data.styleCounts[$0.offset] > 0 }.map(\.element)
    XCTAssertEqual(styles.samples.map(\.name), present)
    for sample in styles.samples {
      XCTAssertEqual(sample.rows, try data.rows(sample.line), sample.name)
      XCTAssertEqual(sample.text, texts[sample.line])
      XCTAssertEqual(data.styleNames[data.styles[sample.line]], sample.name)
    }
    let styled = try SketchProcess.run(
      ["write", phrase, "--model", Self.folderName, "-o", "styled", "--style", present[0], "--max-draws", "1"], in: dir)
    XCTAssertEqual(styled.status, 0, styled.output)
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("styled.svg").path))
    let noStyle = try SketchProcess.run(["write", phrase, "--model", Self.folderName, "--style", "gothic"], in: dir)
    XCTAssertNotEqual(noStyle.status, 0, noStyle.output)
    XCTAssertTrue(noStyle.output.contains("this model knows the styles \(present.joined(separator: ", "))"), noStyle.output)
    // `sketch export`: the parameters and the styles without the optimizer state; it writes as the run does.
    let exported = try SketchProcess.run(["export", "--model", Self.folderName, "-o", "shipped"], in: dir)
    XCTAssertEqual(exported.status, 0, exported.output)
    let slim = try Checkpoint.read(dir.appendingPathComponent("shipped/model.h5").path)
    XCTAssertTrue(slim.optimizerState.isEmpty)
    let last = try Checkpoint.read(folder.appendingPathComponent("model.h5").path)
    XCTAssertFalse(last.optimizerState.isEmpty)
    XCTAssertEqual(Set(slim.parameters.keys), Set(last.parameters.keys))
    for (name, t) in last.parameters { XCTAssertEqual(slim.parameters[name]?.doubles, t.doubles, name) }
    XCTAssertEqual(try StyleSamples.load(besides: dir.appendingPathComponent("shipped/model.h5").path), styles)
    let fromExport = try SketchProcess.run(
      ["write", phrase, "--model", "shipped", "-o", "exported", "--style", present[0], "--max-draws", "1"], in: dir)
    XCTAssertEqual(fromExport.status, 0, fromExport.output)
    XCTAssertEqual(
      try String(contentsOf: dir.appendingPathComponent("exported.svg"), encoding: .utf8),
      try String(contentsOf: dir.appendingPathComponent("styled.svg"), encoding: .utf8))
    let again2 = try SketchProcess.run(["export", "--model", Self.folderName, "-o", "shipped"], in: dir)
    XCTAssertNotEqual(again2.status, 0, again2.output)
    XCTAssertTrue(again2.output.contains("give --overwrite"), again2.output)
    let neither = try SketchProcess.run(["write", "--model", Self.folderName], in: dir)
    XCTAssertNotEqual(neither.status, 0)
    XCTAssertTrue(neither.output.contains("give the text to write"), neither.output)
  }
}
