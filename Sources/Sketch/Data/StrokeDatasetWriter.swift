import Codegen
import Foundation
import SketchFiles

/// One line (or drawing) to store: rows `(dx, dy, pen)` in source units (see ``StrokeRows``), its
/// transcription ("" when unknown), where it came from and its writing style.
struct StrokeRecord: Sendable {
  var rows: [Float]
  var transcription: String
  var source: String
  /// The index of the line's style in ``StrokeDatasetDescription/styleNames`` (0 when it has none).
  var style = 0

  var count: Int { rows.count / 3 }
}

/// What a dataset file says about itself besides the data.
struct StrokeDatasetDescription {
  /// `iam-ondb`, `hershey` or `svg`.
  var kind: String
  /// The units of dx and dy before normalisation.
  var units: String
  /// The longest line kept (0: no limit).
  var maxPoints: Int
  var seed: Int
  /// The writing styles of the lines, by id (the records' ``StrokeRecord/style``); nil: the file has
  /// no `styles` dataset (one style).
  var styleNames: [String]? = nil
  /// Further root attributes (the generator's parameters, licence notices, the command line, ...).
  var attributes: [(String, HDF5Attribute)] = []
}

/// Writes Sketch's stroke dataset layout (docs/data.md), which extends the original notebook's:
///
/// - `features`: float32 [N, T, 3], rows (dx/std_x, dy/std_y, pen), padded past each line's length with
///   (0, 0, 1) as the notebook did; gzip-compressed in chunks of one line, so one line reads alone;
/// - `lengths`: int32 [N], rows per line; `transcriptions`, `sources`: UTF-8 strings [N];
/// - `alphabet`: int32 [K], the Unicode code points occurring in the transcriptions in increasing order
///   (a character's id is its index), when there are any;
/// - `styles`: int32 [N], each line's style id, an index into the root attribute `style_names`, when
///   the description has styles;
/// - root attributes: `split` (Fuel's H5PYDataset split array: `train` then `test`, 90/10), `std`
///   ([std_x, std_y] in source units), `pen_convention`, `kind`, `units`, `seed`, `max_points`, counts,
///   and whatever the description adds.
///
/// The lines are shuffled with the seed before the split. The file appears at its path only when it is
/// complete (written under a temporary name and renamed).
enum StrokeDatasetWriter {
  static let formatName = "sketch-strokes-1"
  static let penConvention =
    "end: pen = 1 on the row that reaches the last point of a stroke; the first point of a line is the "
    + "origin and is not stored (docs/data.md)"
  static let trainFraction = 0.9

  struct Summary {
    var count: Int
    var train: Int
    var test: Int
    var std: (Double, Double)
    var paddedLength: Int
  }

  static func write(_ records: [StrokeRecord], to path: String, description: StrokeDatasetDescription)
    throws -> Summary
  {
    let usable = records.filter { $0.count > 0 }
    guard !usable.isEmpty else { throw DataError(path, "no lines to write") }
    // Standard deviation of dx and dy over every row (the notebook's normalisation: no centring).
    var sum = (0.0, 0.0)
    var squares = (0.0, 0.0)
    var rows = 0
    for record in usable {
      for k in 0..<record.count {
        let dx = Double(record.rows[3 * k])
        let dy = Double(record.rows[3 * k + 1])
        sum.0 += dx
        sum.1 += dy
        squares.0 += dx * dx
        squares.1 += dy * dy
      }
      rows += record.count
    }
    func deviation(_ s: Double, _ q: Double) -> Double {
      let mean = s / Double(rows)
      let value = (max(0, q / Double(rows) - mean * mean)).squareRoot()
      return value > 1e-12 ? value : 1
    }
    let std = (deviation(sum.0, squares.0), deviation(sum.1, squares.1))

    var order = Array(usable.indices)
    var random = RandomStream(seed: UInt64(bitPattern: Int64(description.seed)), stream: 0x5350_4C49)
    random.shuffle(&order)
    let n = order.count
    // The notebook's int(0.9 N), but never an empty training split.
    let train = max(1, Int(Double(n) * trainFraction))
    let width = usable.map(\.count).max()!

    var features = [Float](repeating: 0, count: n * width * 3)
    var lengths = [Int32](repeating: 0, count: n)
    var transcriptions: [String] = []
    var sources: [String] = []
    var styles: [Int32] = []
    for (row, index) in order.enumerated() {
      let record = usable[index]
      let base = row * width * 3
      for k in 0..<width {
        if k < record.count {
          features[base + 3 * k] = Float(Double(record.rows[3 * k]) / std.0)
          features[base + 3 * k + 1] = Float(Double(record.rows[3 * k + 1]) / std.1)
          features[base + 3 * k + 2] = record.rows[3 * k + 2]
        } else {
          features[base + 3 * k + 2] = 1
        }
      }
      lengths[row] = Int32(record.count)
      transcriptions.append(record.transcription)
      sources.append(record.source)
      styles.append(Int32(record.style))
    }

    let alphabet = StrokeDatasetWriter.alphabet(of: transcriptions)
    if let names = description.styleNames, let bad = styles.first(where: { !names.indices.contains(Int($0)) }) {
      throw DataError(path, "style id \(bad) is not an index into the \(names.count) style names \(names)")
    }
    try AtomicFile.write(to: path) { temporary in
      let file = try HDF5File.create(temporary)
      do {
        try file.write(
          Tensor(shape: [n, width, 3], features), to: "features",
          compression: HDF5Compression(level: 4, chunkShape: [1, width, 3]))
        try file.write(Tensor(shape: [n], lengths), to: "lengths")
        try file.write(strings: transcriptions, to: "transcriptions")
        try file.write(strings: sources, to: "sources")
        if !alphabet.isEmpty { try file.write(Tensor(shape: [alphabet.count], alphabet), to: "alphabet") }
        if description.styleNames != nil { try file.write(Tensor(shape: [n], styles), to: "styles") }
        let attributes: [(String, HDF5Attribute)] =
          [
            ("sketch_format", .string(formatName)),
            ("pen_convention", .string(penConvention)),
            ("padding", .string("rows past a line's length are (0, 0, 1), as in the original notebook")),
            ("std", .doubles([std.0, std.1])),
            ("kind", .string(description.kind)),
            ("units", .string(description.units)),
            ("seed", .int(description.seed)),
            ("max_points", .int(description.maxPoints)),
            ("train_fraction", .double(trainFraction)),
            ("n_train", .int(train)),
            ("n_test", .int(n - train)),
          ] + (description.styleNames.map { [("style_names", HDF5Attribute.strings($0))] } ?? [])
          + description.attributes
        for (name, value) in attributes { try file.setAttribute(name, value) }
        try file.commit()
      } catch {
        file.discard()
        throw error
      }
      try FuelSplit.write(
        [
          FuelSplitEntry(split: "train", source: "features", start: 0, stop: train),
          FuelSplitEntry(split: "test", source: "features", start: train, stop: n),
        ], toFileAt: temporary)
    }
    return Summary(count: n, train: train, test: n - train, std: std, paddedLength: width)
  }

  /// The Unicode code points that occur in `texts`, in increasing order (the file's `alphabet`).
  static func alphabet(of texts: [String]) -> [Int32] {
    var seen = Set<UInt32>()
    for text in texts { for scalar in text.unicodeScalars { seen.insert(scalar.value) } }
    return seen.sorted().map { Int32($0) }
  }
}
