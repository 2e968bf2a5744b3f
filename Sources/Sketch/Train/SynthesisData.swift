import Foundation

/// What `sketch train --synthesis` reads from a dataset besides the strokes: its alphabet, and what
/// the user should know about its texts.
enum SynthesisData {
  /// The alphabet of the dataset at `path` (stored or computed, ``Alphabet/of(datasetAt:texts:)``); an
  /// error saying how to get transcriptions when the file has none.
  static func alphabet(_ path: String) throws -> Alphabet {
    let dataset = try StrokeDataset(path: path)
    return try Alphabet.of(datasetAt: path, texts: try synthesisTranscriptions(dataset))
  }

  /// The alphabet a config records (nil for the prediction network).
  static func alphabet(of config: ModelConfig) -> Alphabet? {
    config.synthesis ? config.alphabet.map(Alphabet.init(codePoints:)) : nil
  }

  /// Notes on the training lines: those without text, and those cut to --max-length (which keep their
  /// whole text, so the window cannot reach its end).
  static func warnings(_ batches: DatasetBatches) -> [String] {
    guard let text = batches.text else { return [] }
    let loader = batches.train
    let lines = loader.buckets.joined()
    var notes: [String] = []
    let untranscribed = lines.filter { text.ids[$0].isEmpty }.count
    if untranscribed > 0 {
      notes.append("note: \(untranscribed) of \(lines.count) training lines have no text (their window reads nothing)")
    }
    let cut = lines.filter { loader.dataset.lengths[$0] > loader.length(of: $0) }.count
    if cut > 0 {
      notes.append(
        "note: \(cut) of \(lines.count) training lines are longer than --max-length \(loader.maxLength ?? 0) and are "
          + "cut, keeping their whole text; a --max-length of \(lines.map { loader.dataset.lengths[$0] }.max() ?? 0) "
          + "keeps every line whole")
    }
    return notes
  }
}
