import Codegen
import Foundation
import SketchFiles

/// The writing styles a synthesis model can be asked for by name (`sketch write --style NAME`): one
/// line of each style of its training data, with its text, kept in the experiment folder as
/// `styles.json` next to `model.h5`, so that a model folder alone (the shipped one too) can write in
/// each style without its dataset.
///
/// The rows are the dataset's own (normalised by its deviations, the units the network was trained
/// on); priming with a sample is Graves' section 5.5, as `--prime` with a file.
struct StyleSamples: Codable, Equatable {
  struct Sample: Codable, Equatable {
    /// The style's name (the dataset's `style_names`).
    var name: String
    /// What the line shows.
    var text: String
    /// The line's index in the dataset it was taken from.
    var line: Int
    /// Rows (dx, dy, pen), flattened, as stored in the dataset.
    var rows: [Float]
  }

  static let fileName = "styles.json"
  /// The texts of sample lines are at least this long, so a primer shows a style's joins and spacing.
  static let minimumText = 10

  /// The file name of the dataset the samples come from.
  var dataset: String
  var samples: [Sample]

  /// One line per style of `dataset`: the first line of its test split (else of its training split) of
  /// that style whose text has at least ``minimumText`` characters (else its longest text).
  static func pick(from dataset: StrokeDataset) throws -> StyleSamples {
    let name = URL(fileURLWithPath: dataset.path).lastPathComponent
    guard let texts = try dataset.transcriptions() else { return StyleSamples(dataset: name, samples: []) }
    let order = Array(dataset.range(.test)) + Array(dataset.range(.train))
    var samples: [Sample] = []
    for (id, name) in dataset.styleNames.enumerated() {
      let lines = order.filter { dataset.styles[$0] == id && !texts[$0].isEmpty && dataset.lengths[$0] >= 2 }
      guard let best = lines.first(where: { texts[$0].count >= minimumText }) ?? lines.max(by: { texts[$0].count < texts[$1].count })
      else { continue }
      samples.append(Sample(name: name, text: texts[best], line: best, rows: try dataset.rows(best)))
    }
    return StyleSamples(dataset: name, samples: samples)
  }

  /// Writes `styles.json` into `folder` unless it is there already (a resumed run keeps its file).
  static func writeIfMissing(folder: URL, dataset: StrokeDataset) throws {
    let path = folder.appendingPathComponent(fileName).path
    guard !FileManager.default.fileExists(atPath: path) else { return }
    let styles = try pick(from: dataset)
    guard !styles.samples.isEmpty else { return }
    try write(styles, to: path)
  }

  /// Writes `styles` to `path` (atomically).
  static func write(_ styles: StyleSamples, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try AtomicFile.write(data: Array(try encoder.encode(styles)), to: path)
  }

  /// The style samples next to the model file `modelFile`; an error saying what to do when there are none.
  static func load(besides modelFile: String) throws -> StyleSamples {
    let path = path(besides: modelFile)
    guard let data = FileManager.default.contents(atPath: path) else {
      throw WriteError(
        "--style: no \(fileName) next to \(modelFile) (written by `sketch train --synthesis` for a dataset "
          + "with transcriptions); prime with a sample instead: --prime DATASET.h5:LINE or --prime FILE.svg")
    }
    do {
      return try JSONDecoder().decode(StyleSamples.self, from: data)
    } catch {
      throw WriteError(
        "\(path) is not a style file written by `sketch train` (\(error)); train again to rewrite it, or remove it "
          + "and prime with a sample instead")
    }
  }

  /// The style file next to `modelFile`, or nil when there is none; a damaged one is an error.
  static func loadIfPresent(besides modelFile: String) throws -> StyleSamples? {
    guard FileManager.default.fileExists(atPath: path(besides: modelFile)) else { return nil }
    return try load(besides: modelFile)
  }

  /// The style file's path next to the model file `modelFile`.
  static func path(besides modelFile: String) -> String {
    URL(fileURLWithPath: modelFile).deletingLastPathComponent().appendingPathComponent(fileName).path
  }

  /// The primer of the style `name`; an error listing the styles there are when it is not one of them.
  func primer(_ name: String) throws -> HandwritingWriter.Primer {
    guard let sample = samples.first(where: { $0.name == name }) else {
      throw WriteError(
        "--style \(name): this model knows the styles \(samples.map(\.name).joined(separator: ", "))")
    }
    let count = sample.rows.count / 3
    let offsets = (0..<count).map {
      (dx: Double(sample.rows[3 * $0]), dy: Double(sample.rows[3 * $0 + 1]), pen: Double(sample.rows[3 * $0 + 2]))
    }
    return HandwritingWriter.Primer(offsets: offsets, text: sample.text)
  }
}
