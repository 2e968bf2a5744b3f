import Codegen
import Foundation
import SketchFiles

/// Which part of a dataset.
public enum DataSplit: String, Sendable, CaseIterable {
  case train, test
}

/// A stroke dataset file opened for reading: Sketch's layout, or the Fuel H5PYDataset layout the
/// original notebook wrote (`features` [N, 1200, 3], first-point pen convention, padded with (0, 0, 1),
/// no lengths, no normalisation attributes), converted on the fly to Sketch's convention.
///
/// Lines are read one at a time (HDF5 hyperslabs), so opening a file reads only its lengths.
public final class StrokeDataset {
  public enum Layout: String, Sendable {
    /// Written by `sketch data iam|hershey|svg`.
    case sketch
    /// Written by the original notebook (Fuel's H5PYDataset).
    case fuel
  }

  public let path: String
  public let layout: Layout
  /// Number of lines.
  public let count: Int
  /// The padded length T of `features` [N, T, 3].
  public let paddedLength: Int
  /// Rows per line, in Sketch's convention.
  public let lengths: [Int]
  /// The standard deviations of dx and dy in source units (the stored features are divided by them);
  /// nil when the file does not say (a Fuel-layout file).
  public let std: (x: Double, y: Double)?
  /// `iam-ondb`, `hershey`, `svg`, or `fuel` for the notebook's layout.
  public let kind: String
  /// The names of the writing styles, indexed by style id (the `style_names` attribute). A file without
  /// styles has one: `scripts` for a Hershey file (written before styles existed), else its ``kind``.
  public let styleNames: [String]
  /// The style id of each line (an index into ``styleNames``; all 0 in a file without styles).
  public let styles: [Int]
  private let ranges: [DataSplit: Range<Int>]
  /// For the Fuel layout: the stored rows of each line before conversion.
  private let storedLengths: [Int]
  private let file: HDF5File

  /// Opens the dataset at `path`; a missing, truncated or foreign file is a ``DataError`` saying so.
  /// The whole file is first read in a child process (``HDF5Probe``), so that a damaged file that
  /// would crash libhdf5 is refused instead (`dryRun: false` skips that, for the child itself).
  public init(path: String, dryRun: Bool = true) throws {
    self.path = path
    let hint = "expected a stroke dataset written by `sketch data iam|hershey|svg` or the original notebook"
    if dryRun, let size = try? InputFile.requireRegular(path) {
      do {
        try HDF5Probe.dryRun(path, size: size) { try StrokeDataset(path: path, dryRun: false).readEverything() }
      } catch let error as HDF5Error {
        throw DataError(path, error.message, hint: hint)
      }
    }
    do {
      file = try HDF5File.open(path)
    } catch let error as HDF5Error {
      var message = error.message
      if let detail = error.detail { message += " (\(detail))" }
      if message.contains("truncated") || message.contains("cannot open") {
        message += "; the file may be truncated or damaged"
      }
      throw DataError(path, message, hint: hint)
    }
    do {
      guard file.exists("features") else {
        throw DataError(path, "no 'features' dataset, so not a stroke dataset", hint: hint)
      }
      let info = try file.info(of: "features")
      guard info.shape.count == 3, info.shape[2] == 3, info.dtype == .float32 || info.dtype == .float64 else {
        throw DataError(
          path,
          "'features' is \(info.dtype.map { "\($0)" } ?? "strings") \(info.shape), "
            + "expected float [lines, steps, 3]", hint: hint)
      }
      let width = info.shape[1]
      count = info.shape[0]
      paddedLength = width
      let split = try FuelSplit.read(path: path)
      if file.exists("lengths") {
        layout = .sketch
        let stored = try StrokeDataset.validLengths(
          try file.read("lengths").doubles, count: count, width: width,
          path: path, hint: hint)
        lengths = stored
        storedLengths = stored
        let deviations = (try? file.doublesAttribute("std")) ?? []
        if !deviations.isEmpty {
          guard deviations.count == 2, deviations.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw DataError(
              path, "the 'std' attribute is \(deviations), expected two positive finite numbers",
              hint: hint)
          }
        }
        std = deviations.count == 2 ? (deviations[0], deviations[1]) : nil
        kind = (try? file.stringAttribute("kind")) ?? "unknown"
        (styleNames, styles) = try StrokeDataset.readStyles(file, count: count, kind: kind, path: path, hint: hint)
      } else {
        guard split != nil else {
          throw DataError(path, "neither a 'lengths' dataset nor a Fuel 'split' attribute", hint: hint)
        }
        layout = .fuel
        (storedLengths, lengths) = try StrokeDataset.fuelLengths(file, count: info.shape[0], width: width)
        std = nil
        kind = "fuel"
        styleNames = [kind]
        styles = [Int](repeating: 0, count: count)
      }
      ranges = try StrokeDataset.splitRanges(split, count: info.shape[0], path: path)
    } catch let error as HDF5Error {
      throw StrokeDataset.readFailure(error, file: file, path: path, what: nil)
    }
  }

  /// The error for a failed read of 'features': a compression filter this HDF5 lacks (lzf, blosc... from
  /// h5py) is named as such; anything else may be damage.
  private static func readFailure(_ error: HDF5Error, file: HDF5File, path: String, what: String?) -> DataError {
    if let missing = try? file.unavailableFilters(of: "features"), !missing.isEmpty {
      return DataError(
        path,
        "'features' is compressed with \(missing.joined(separator: " and ")), which this "
          + "HDF5 library cannot decode (the file is not damaged)",
        hint: "rewrite it with gzip compression where that filter is installed, e.g. in Python: h5py with "
          + "hdf5plugin, create_dataset(..., compression='gzip')")
    }
    let message = error.message + (error.detail.map { " (\($0))" } ?? "")
    return DataError(
      path, what.map { "\($0): \(message)" } ?? error.description,
      hint: "the file may be truncated or damaged")
  }

  deinit { try? file.close() }

  /// Reads every line, string and attribute (what the dry run does).
  private func readEverything() throws {
    _ = try transcriptions()
    _ = try sources()
    _ = try alphabet()
    _ = attributes()
    for index in 0..<count { _ = try rows(index) }
  }

  /// The stored `lengths` as row counts: one per line, each a whole number in 0...width.
  private static func validLengths(_ values: [Double], count: Int, width: Int, path: String, hint: String) throws
    -> [Int]
  {
    guard values.count == count else {
      throw DataError(path, "'lengths' has \(values.count) entries for the \(count) lines of 'features'", hint: hint)
    }
    return try values.enumerated().map { index, value in
      guard value.isFinite, value.rounded() == value, value >= 0, value <= Double(width) else {
        throw DataError(
          path,
          "'lengths'[\(index)] is \(value), expected a whole number of rows in 0...\(width) "
            + "(the padded length of 'features')", hint: hint)
      }
      return Int(value)
    }
  }

  /// Throws unless every value of line `index` is finite (a NaN or an infinity would poison training
  /// and drawing alike).
  private func requireFinite(_ rows: [Float], line index: Int) throws {
    guard let bad = rows.firstIndex(where: { !$0.isFinite }) else { return }
    throw DataError(
      path, "'features' line \(index), row \(bad / 3) holds \(rows[bad]), not a finite number",
      hint: "the file is damaged or was written with non-finite values; re-create it")
  }

  /// The lines of a split (row indices into the file).
  public func range(_ split: DataSplit) -> Range<Int> { ranges[split] ?? 0..<0 }

  /// The rows of line `index` in Sketch's convention, normalised (dx, dy divided by ``std``), interleaved
  /// dx, dy, pen; at most `limit` rows.
  public func rows(_ index: Int, limit: Int? = nil) throws -> [Float] {
    precondition(index >= 0 && index < count, "StrokeDataset.rows: line \(index) of \(count)")
    let wanted = min(lengths[index], limit ?? Int.max)
    guard wanted > 0 else { return [] }
    do {
      switch layout {
      case .sketch:
        let rows = floats(try file.read("features", start: [index, 0, 0], count: [1, wanted, 3]))
        try requireFinite(rows, line: index)
        return rows
      case .fuel:
        let stored = storedLengths[index]
        let raw = floats(try file.read("features", start: [index, 0, 0], count: [1, stored, 3]))
        try requireFinite(raw, line: index)
        let converted = StrokeRows.fromFirstPointConvention(raw, count: stored)
        return Array(converted.prefix(3 * wanted))
      }
    } catch let error as HDF5Error {
      throw StrokeDataset.readFailure(error, file: file, path: path, what: "reading line \(index)")
    }
  }

  /// The transcriptions, or nil when the file has none.
  public func transcriptions() throws -> [String]? {
    try perLineStrings("transcriptions")
  }

  /// The source of each line (a file path, or the generator's line id), or nil when the file has none.
  public func sources() throws -> [String]? {
    try perLineStrings("sources")
  }

  /// The file's alphabet: the characters of its transcriptions, each one Unicode code point, in id order
  /// (a character's id is its index). Read from the `alphabet` dataset when the file has one, else
  /// computed from the transcriptions (in increasing code point order, as the writer stores it); empty
  /// without transcriptions.
  public func alphabet() throws -> [Character] {
    guard file.exists("alphabet") else {
      return StrokeDatasetWriter.alphabet(of: try transcriptions() ?? []).map {
        Character(Unicode.Scalar(UInt32($0))!)
      }
    }
    let values: [Double]
    do {
      values = try file.read("alphabet").doubles
    } catch let error as HDF5Error {
      throw DataError(path, "reading 'alphabet': \(error.message)", hint: "the file may be truncated or damaged")
    }
    var characters: [Character] = []
    var seen = Set<UInt32>()
    for (id, value) in values.enumerated() {
      guard value.isFinite, value.rounded() == value, value >= 0, value <= 0x10FFFF,
        let scalar = Unicode.Scalar(UInt32(value)), seen.insert(scalar.value).inserted
      else {
        throw DataError(
          path, "'alphabet'[\(id)] is \(value), expected a Unicode code point not listed before",
          hint: "the file is damaged or was not written by `sketch data`; re-create it")
      }
      characters.append(Character(scalar))
    }
    return characters
  }

  /// The number of lines of each style, by style id.
  public var styleCounts: [Int] {
    var counts = [Int](repeating: 0, count: styleNames.count)
    for style in styles { counts[style] += 1 }
    return counts
  }

  /// The style names (`style_names`) and per-line style ids (`styles`) of a Sketch-layout file, or the
  /// one style of a file without them.
  private static func readStyles(_ file: HDF5File, count: Int, kind: String, path: String, hint: String) throws
    -> ([String], [Int])
  {
    guard file.exists("styles") else {
      return ([kind == "hershey" ? WritingStyle.legacyName : kind], [Int](repeating: 0, count: count))
    }
    guard let names = try? file.attribute("style_names").stringsValue, !names.isEmpty else {
      throw DataError(path, "has a 'styles' dataset but no 'style_names' attribute (a list of strings)", hint: hint)
    }
    let values = try file.read("styles").doubles
    guard values.count == count else {
      throw DataError(path, "'styles' has \(values.count) entries for the \(count) lines of 'features'", hint: hint)
    }
    let ids = try values.enumerated().map { index, value in
      guard value.isFinite, value.rounded() == value, value >= 0, value < Double(names.count) else {
        throw DataError(
          path, "'styles'[\(index)] is \(value), expected a style id in 0..<\(names.count) (the 'style_names')",
          hint: hint)
      }
      return Int(value)
    }
    return (names, ids)
  }

  /// A string dataset with one entry per line, or nil when the file has none.
  private func perLineStrings(_ name: String) throws -> [String]? {
    guard file.exists(name) else { return nil }
    let strings: [String]
    do {
      strings = try file.readStrings(name)
    } catch let error as HDF5Error {
      throw DataError(path, "reading '\(name)': \(error.message)", hint: "the file may be truncated or damaged")
    }
    guard strings.count == count else {
      throw DataError(
        path, "'\(name)' has \(strings.count) entries for the \(count) lines of 'features'",
        hint: "the file is damaged or was not written by `sketch data`; re-create it")
    }
    return strings
  }

  /// The root attributes, for display.
  public func attributes() -> [(String, HDF5Attribute)] {
    let names = (try? file.attributeNames()) ?? []
    return names.compactMap { name in (try? file.attribute(name)).map { (name, $0) } }
  }

  // MARK: Layout details

  /// Train and test ranges from the Fuel split rows for the `features` source; without a split, all
  /// lines are training lines.
  private static func splitRanges(_ entries: [FuelSplitEntry]?, count: Int, path: String) throws
    -> [DataSplit: Range<Int>]
  {
    guard let entries else { return [.train: 0..<count, .test: count..<count] }
    var ranges: [DataSplit: Range<Int>] = [:]
    for entry in entries where entry.source == "features" && entry.available {
      guard let split = DataSplit(rawValue: entry.split) else { continue }
      if entry.usesIndexList {
        throw DataError(
          path, "the '\(entry.split)' split is an index list, which Sketch does not read",
          hint: "rewrite the file with the split as a start/stop range")
      }
      guard entry.start >= 0, entry.start <= entry.stop, entry.stop <= count else {
        throw DataError(
          path,
          "the '\(entry.split)' split \(entry.start)..<\(entry.stop) is outside the "
            + "\(count) lines of 'features'")
      }
      ranges[split] = entry.start..<entry.stop
    }
    guard ranges[.train] != nil else {
      throw DataError(path, "the 'split' attribute has no 'train' range for 'features'")
    }
    return ranges
  }

  /// Stored lengths (rows before the trailing (0, 0, 1) padding) and converted lengths of a Fuel-layout
  /// file, read in blocks of lines.
  private static func fuelLengths(_ file: HDF5File, count: Int, width: Int) throws -> ([Int], [Int]) {
    var stored: [Int] = []
    var converted: [Int] = []
    stored.reserveCapacity(count)
    converted.reserveCapacity(count)
    let block = max(1, min(count, (1 << 20) / max(1, width * 3)))
    var start = 0
    while start < count {
      let lines = min(block, count - start)
      let values = floats(try file.read("features", start: [start, 0, 0], count: [lines, width, 3]))
      for line in 0..<lines {
        let base = line * width * 3
        var length = width
        while length > 0 && values[base + 3 * length - 3] == 0 && values[base + 3 * length - 2] == 0
          && values[base + 3 * length - 1] == 1
        {
          length -= 1
        }
        var flags: [Float] = []
        flags.reserveCapacity(length)
        for k in 0..<length { flags.append(Float(values[base + 3 * k + 2])) }
        stored.append(length)
        converted.append(length - StrokeRows.firstPointDroppedRows(flags: flags))
      }
      start += lines
    }
    return (stored, converted)
  }
}

/// The elements of a float tensor as Float.
func floats(_ tensor: Tensor) -> [Float] {
  tensor.elements(Float.self) ?? tensor.doubles.map { Float($0) }
}
