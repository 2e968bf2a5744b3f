import ArgumentParser
import Foundation

/// `sketch eval`: measurements of a model or a dataset.
struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval", abstract: "Measure handwriting: how legible it is to an OCR engine.",
    subcommands: [LegibilityCommand.self])
}

/// `sketch eval legibility`: the character error rate tesseract makes reading lines.
struct LegibilityCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "legibility",
    abstract: "Render lines, read them with tesseract (--psm 13) and report the character error rate.",
    discussion: """
      Without --model, the dataset's own lines (their transcriptions are the reference): the figure a \
      model is compared with. With --model, the synthesis model writes texts (the lines of --texts FILE, \
      else the transcriptions of the dataset's test lines, which training did not see) and tesseract \
      reads what it wrote. Lines are rendered black on white, 3 px strokes, the ink 135 px high, 40 px \
      margins; the rate is the Levenshtein distance over the text's length, case-insensitive.
      """)

  @Option(help: "A dataset file with transcriptions (omit it for the built-in dataset).") var data: String?
  @Option(help: "A synthesis model (experiment folder or model file) to write the texts with.") var model: String?
  @Option(help: "With --model: a file of texts to write, one per line.") var texts: String?
  @Option(help: "With --model: the sampling bias.") var bias = 0.5
  @Option(help: "With --model: the seed of the draws.") var seed: UInt64 = 0
  @Option(help: "Lines to read.") var lines = 30
  @Option(help: "The split to read from: train or test.") var split = "test"
  @Flag(help: "Print every line's text and what was read.") var verbose = false

  func validate() throws {
    if lines < 1 { throw ValidationError("--lines must be at least 1, got \(lines)") }
    if DataSplit(rawValue: split) == nil { throw ValidationError("--split must be train or test, got '\(split)'") }
    if texts != nil && model == nil { throw ValidationError("--texts needs --model") }
    try FlagCheck.finite(bias, "--bias", 0...100, "0 samples the model as trained; larger is neater")
  }

  func run() throws {
    if let model { return try written(by: model) }
    let path = try BuiltinDataset.resolve(data)
    let dataset = try StrokeDataset(path: path)
    guard let texts = try dataset.transcriptions() else {
      throw DataError(path, "has no transcriptions", hint: "import IAM-OnDB with --ascii, or use the built-in dataset")
    }
    let scale = dataset.std ?? (1, 1)
    let chosen = Array(dataset.range(DataSplit(rawValue: split)!).filter { !texts[$0].isEmpty }.prefix(lines))
    let items = try chosen.map { index -> (text: String, strokes: [[Double]]) in
      let rows = try dataset.rows(index)
      return (texts[index], StrokeRows.strokes(rows: rows, count: rows.count / 3, scale: (scale.x, scale.y)))
    }
    let result = try Legibility.evaluate(items)
    if verbose {
      for r in result.readings { print(String(format: "%.2f", r.errorRate) + "  \(r.text)  ->  \(r.read)") }
    }
    print(String(format: "character error rate %.3f over %d %@ lines of %@", result.meanErrorRate, items.count, split, path))
  }

  /// The rate of what `model` writes: the lines of `--texts`, else the dataset's test transcriptions.
  func written(by model: String) throws {
    var lines: [String]
    if let texts {
      let content: String
      do { content = try String(contentsOfFile: texts, encoding: .utf8) } catch {
        throw ValidationError("--texts \(texts): cannot read it as UTF-8 text (\(error.localizedDescription))")
      }
      lines = content.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    } else {
      let path = try BuiltinDataset.resolve(data)
      let dataset = try StrokeDataset(path: path)
      let all = try dataset.transcriptions() ?? []
      lines = dataset.range(DataSplit(rawValue: split)!).map { all[$0] }.filter { !$0.isEmpty }
    }
    lines = Array(lines.prefix(self.lines))
    guard !lines.isEmpty else { throw ValidationError("no texts to write") }
    let file = Sample.modelFile(model)
    let contents = try Checkpoint.read(file)
    guard contents.config.synthesis, let codes = contents.config.alphabet else {
      throw ValidationError("\(file) is a prediction model; legibility needs a synthesis model (sketch train --synthesis)")
    }
    let alphabet = codes.compactMap { Unicode.Scalar($0).map(Character.init) }
    let writer = try HandwritingWriter(
      model: SynthesisModel(config: contents.config, values: contents.parameters), alphabet: alphabet)
    let known = Set(alphabet)
    let writable = lines.map { String($0.filter { known.contains($0) }) }
    let written = try writer.write(writable, bias: bias, seed: seed)
    let scale = contents.scale ?? (1, 1)
    let result = try Legibility.evaluate(written.map { ($0.text, WritingOutput.strokes($0.offsets, scale: scale)) })
    if verbose {
      for r in result.readings { print(String(format: "%.2f", r.errorRate) + "  \(r.text)  ->  \(r.read)") }
    }
    let redrawn = written.filter { $0.draws > 1 }.count
    print(String(format: "character error rate %.3f over %d lines written by %@ (bias %.2f; %d redrawn)", result.meanErrorRate, written.count, file, bias, redrawn))
  }
}
