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
      With --data, the dataset's own lines (its transcriptions are the reference): the figure a written \
      model is compared with. Lines are rendered black on white, 3 px strokes, the ink 135 px high, 40 px \
      margins; the rate is the Levenshtein distance over the text's length, case-insensitive.
      """)

  @Option(help: "A dataset file with transcriptions (omit it for the built-in dataset).") var data: String?
  @Option(help: "Lines to read.") var lines = 30
  @Option(help: "The split to read from: train or test.") var split = "test"
  @Flag(help: "Print every line's text and what was read.") var verbose = false

  func validate() throws {
    if lines < 1 { throw ValidationError("--lines must be at least 1, got \(lines)") }
    if DataSplit(rawValue: split) == nil { throw ValidationError("--split must be train or test, got '\(split)'") }
  }

  func run() throws {
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
}
