import ArgumentParser
import Codegen
import Foundation

struct ShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "Print a dataset's counts, lengths and offset statistics; render lines to a PNG.")

  @Argument(help: "A dataset file (omit it for the built-in dataset, created if missing).")
  var file: String?

  @Option(help: "Render lines to this PNG image.")
  var png: String?

  @Option(help: "Number of lines to render.")
  var lines = 8

  @Option(help: "The split to render from: train or test.")
  var split = "train"

  func run() throws {
    guard let part = DataSplit(rawValue: split) else {
      throw DataError("--split", "must be train or test, got '\(split)'")
    }
    let path = try BuiltinDataset.resolve(file)
    let dataset = try StrokeDataset(path: path)
    print(try ShowCommand.describe(dataset))
    if let png {
      guard lines >= 1 else { throw DataError("--lines", "must be at least 1, got \(lines)") }
      let range = dataset.range(part)
      let chosen = Array(range.prefix(lines))
      let scale = dataset.std ?? (1, 1)
      let drawn = try chosen.map { index -> [[Double]] in
        let rows = try dataset.rows(index)
        return StrokeRows.strokes(rows: rows, count: rows.count / 3, scale: (scale.x, scale.y))
      }
      try StrokeRenderer.render(drawn).write(to: png)
      print("rendered \(chosen.count) \(part.rawValue) lines to \(png)")
      if let texts = try dataset.transcriptions() {
        let named = dataset.styleNames.count > 1
        for index in chosen where !texts[index].isEmpty {
          let style = named ? " (\(dataset.styleNames[dataset.styles[index]]))" : ""
          print("  \(index)\(style): \(texts[index])")
        }
      }
    }
  }

  /// The report printed by `sketch data show`.
  static func describe(_ dataset: StrokeDataset) throws -> String {
    var all: [[Float]] = []
    for index in 0..<dataset.count { all.append(try dataset.rows(index)) }
    let stats = StrokeStatistics(rows: all, texts: try dataset.transcriptions())
    func f(_ x: Double) -> String { String(format: "%.3g", x) }
    var out: [String] = []
    out.append(
      "\(dataset.path): \(dataset.layout == .fuel ? "original notebook (Fuel) layout" : "Sketch layout"), "
        + "kind \(dataset.kind), \(dataset.count) lines (\(dataset.range(.train).count) train, "
        + "\(dataset.range(.test).count) test), padded to \(dataset.paddedLength) rows")
    let r = stats.rows
    out.append("rows per line: min \(r.min), median \(r.median), max \(r.max), mean \(f(r.mean))")
    if let c = stats.characters, let perCharacter = stats.rowsPerCharacter {
      out.append(
        "characters per line: min \(c.min), median \(c.median), max \(c.max); rows per character \(f(perCharacter))")
    }
    out.append("strokes per line \(f(stats.strokesPerLine)); pen-up fraction \(f(stats.penUpFraction))")
    out.append(
      "offsets as stored (normalised): mean dx \(f(stats.mean.0)) dy \(f(stats.mean.1)), "
        + "std dx \(f(stats.std.0)) dy \(f(stats.std.1)); largest |dx| \(f(stats.largest.0)) std, |dy| \(f(stats.largest.1)) std"
    )
    if let std = dataset.std {
      out.append("normalisation (std in source units): dx \(f(std.x)), dy \(f(std.y))")
    } else {
      out.append("normalisation: not stored (the notebook's layout); lines are drawn in normalised units")
    }
    out += try styleReport(dataset, rows: all)
    for (name, value) in dataset.attributes()
    where ["units", "created_by", "generator", "seed", "max_points"].contains(name) {
      out.append("\(name): \(value.stringValue ?? value.intValue.map(String.init) ?? "\(value)")")
    }
    return out.joined(separator: "\n")
  }

  /// The lines of the report on styles and the alphabet: each style's line count and, with more than
  /// one style, its statistics.
  static func styleReport(_ dataset: StrokeDataset, rows all: [[Float]]) throws -> [String] {
    func f(_ x: Double) -> String { String(format: "%.3g", x) }
    let counts = dataset.styleCounts
    var out = [
      "styles: "
        + zip(dataset.styleNames, counts).enumerated().map { "\($0) \($1.0) (\($1.1) lines)" }.joined(separator: ", ")
    ]
    let texts = try dataset.transcriptions()
    if dataset.styleNames.count > 1 {
      for (id, name) in dataset.styleNames.enumerated() where counts[id] > 0 {
        let lines = dataset.styles.indices.filter { dataset.styles[$0] == id }
        let stats = StrokeStatistics(rows: lines.map { all[$0] }, texts: texts.map { t in lines.map { t[$0] } })
        var line = "  \(name): "
        if let c = stats.characters, let perCharacter = stats.rowsPerCharacter {
          line += "characters \(c.min)/\(c.median)/\(c.max), rows per character \(f(perCharacter)), "
        }
        line += "rows \(stats.rows.min)/\(stats.rows.median)/\(stats.rows.max), "
        line += "strokes per line \(f(stats.strokesPerLine)), pen-up fraction \(f(stats.penUpFraction))"
        out.append(line)
      }
    }
    let alphabet = try dataset.alphabet()
    if !alphabet.isEmpty {
      out.append("alphabet: \(alphabet.count) characters: " + String(alphabet).debugDescription)
    }
    return out
  }
}
