import Codegen
import Foundation

/// One generated line: its text, style and pen-down strokes in digitiser units (integers, y downward).
struct GeneratedLine {
  /// The line's place in the generation order (its random stream).
  var index: Int
  var text: String
  /// The index of its style in the generator's ``HersheyGenerator/styles``.
  var style: Int
  var strokes: [[Double]]
  /// The strokes as dataset rows (``StrokeRows``).
  var rows: [Float] { StrokeRows.rows(strokes: strokes) }
}

/// `sketch data hershey`: the built-in handwriting dataset (docs/data.md), made from Debian's
/// hershey-fonts-data (one font per ``WritingStyle``) and wordnet-base (the text). Deterministic per seed.
struct HersheyGenerator {
  /// Bumped whenever the output for a given seed changes (names the built-in dataset file).
  static let version = 2

  var lines = 6000
  var seed = 0
  var maxPoints = 1200
  /// The styles to write in; line k of the generation order gets style k mod their count.
  var styles = WritingStyle.all
  /// The folder of the fonts, `STYLE.jhf` for each style.
  var fontFolder = WritingStyle.defaultFontFolder
  var wordNetFolder = HersheyText.defaultWordNetFolder
  var quiet = false
  var commandLine = ""

  /// The font files of the styles.
  var fontPaths: [String] { styles.map { $0.fontPath(in: fontFolder) } }

  /// Loads the font of every style, with a clear error when the package or a file is missing.
  func loadFonts() throws -> [HandFont] {
    guard !styles.isEmpty else { throw DataError("--styles", "names no style") }
    return try styles.map { try HersheyGenerator.loadFont($0, folder: fontFolder) }
  }

  /// Loads the font of `style` from `folder`.
  static func loadFont(_ style: WritingStyle, folder: String = WritingStyle.defaultFontFolder) throws -> HandFont {
    let path = style.fontPath(in: folder)
    guard fileKind(path).exists else {
      throw DataError(
        path, "missing Hershey font of the '\(style.name)' style",
        hint: "install Debian's hershey-fonts-data (scripts/install-deps.sh), or pass --fonts DIR")
    }
    let text = String(decoding: try readFileBytes(path), as: UTF8.self)
    do {
      return try HandFont(jhf: try JHFFont.parse(text), style: style)
    } catch let error as JHFFont.ParseError {
      throw DataError(path, "not a valid .jhf font, \(error)")
    } catch let error as DataError {
      throw DataError(path, error.message)
    }
  }

  /// How many of `count` lines each of `styles` styles gets: equal shares, the first `count mod styles`
  /// styles one more.
  static func quotas(count: Int, styles: Int) -> [Int] {
    (0..<styles).map { count / styles + ($0 < count % styles ? 1 : 0) }
  }

  /// Generates lines until `count` of them have at most `maxPoints` rows (0: no limit), in order, with
  /// `fonts[s]` writing style s: line k of the generation order is written in style k mod the number
  /// of fonts, and a style whose share (``quotas(count:styles:)``) is full takes no more lines, so a
  /// line that is too long is replaced by one of its own style. `sentences` defaults to WordNet's usage
  /// examples.
  func generate(count: Int, fonts: [HandFont], sentences: [String], progress: ProgressReporter? = nil)
    -> (lines: [GeneratedLine], tooLong: Int)
  {
    let writers = fonts.map { HersheyWriter(font: $0) }
    var quota = HersheyGenerator.quotas(count: count, styles: writers.count)
    var text = RunningText(sentences: sentences, random: RandomStream(seed: UInt64(bitPattern: Int64(seed)), stream: 1))
    var accepted: [GeneratedLine] = []
    var tooLong = 0
    var index = 0
    // Give up when almost every line is too long (a tiny --max-points); the caller reports it.
    while accepted.count < count && index < 20 * count + 1000 {
      let chunk = max(16, min(512, (count - accepted.count) * 11 / 10))
      let texts = (0..<chunk).map { _ in text.nextLine() }
      let first = index
      let made = parallelMap(Array(texts.enumerated())) { offset, line -> GeneratedLine in
        let k = first + offset
        var random = RandomStream(seed: UInt64(bitPattern: Int64(seed)), stream: 0x1000_0000 + UInt64(k))
        let style = HandStyle(random: &random)
        let s = k % writers.count
        return GeneratedLine(
          index: k, text: line, style: s, strokes: writers[s].write(line, style: style, random: &random))
      }
      index += chunk
      for line in made where quota[line.style] > 0 {
        let points = line.strokes.reduce(0) { $0 + $1.count / 2 }
        if maxPoints > 0 && points - 1 > maxPoints {
          tooLong += 1
        } else {
          accepted.append(line)
          quota[line.style] -= 1
          progress?.advance()
        }
      }
    }
    return (accepted, tooLong)
  }

  /// Generates the dataset and writes it to `output` (and the IAM-style XML to `xmlFolder`).
  func run(output: String, xmlFolder: String? = nil) throws -> ImportSummary {
    guard lines >= 1 else { throw DataError("--lines", "must be at least 1, got \(lines)") }
    try requireOutputFile(output, inputs: fontPaths)
    let fonts = try loadFonts()
    let sentences = try HersheyText.wordNetSentences(folder: wordNetFolder)
    let progress = ProgressReporter("writing Hershey lines", total: lines, quiet: quiet)
    let (generated, tooLong) = generate(count: lines, fonts: fonts, sentences: sentences, progress: progress)
    progress.finish()
    guard generated.count == lines else {
      throw DataError(
        "--max-points",
        "only \(generated.count) of \(generated.count + tooLong) generated lines "
          + "have at most \(maxPoints) rows, \(lines) were asked for; nothing written",
        hint: "raise --max-points (a line of 36 characters has about 900 rows), or use 0 for no limit")
    }
    if let xmlFolder { try HersheyXML.write(generated, to: xmlFolder) }
    let records = generated.map {
      StrokeRecord(
        rows: $0.rows, transcription: $0.text, source: "hershey seed \(seed) line \($0.index)", style: $0.style)
    }
    let parameters = (styleParameters + HandStyle.ranges).map { "\($0.0): \($0.1)" }.joined(separator: "\n")
    let written = try StrokeDatasetWriter.write(
      records, to: output,
      description: StrokeDatasetDescription(
        kind: "hershey",
        units:
          "digitiser units: Hershey font units x 10 (capitals 210 high; x-height 90 in the script styles, "
          + "140 in the print styles), y grows downward",
        maxPoints: maxPoints, seed: seed, styleNames: styles.map(\.name),
        attributes: [
          ("created_by", .string(commandLine)),
          (
            "generator",
            .string(
              "sketch data hershey (docs/data.md recipe), Hershey fonts "
                + styles.map(\.name).joined(separator: ", ") + ", WordNet 3.0 usage examples")
          ),
          ("generator_version", .int(HersheyGenerator.version)),
          ("generator_parameters", .string(parameters)),
          ("fonts", .strings(fontPaths)),
          ("text_source", .string(wordNetFolder + "/data.{noun,verb,adj,adv}")),
          ("lines_over_max_points", .int(tooLong)),
          ("licence", .strings(HersheyGenerator.notices)),
        ]))
    var summary = ImportSummary()
    summary.files = generated.count + tooLong
    summary.tooLong = tooLong
    summary.written = written.count
    summary.train = written.train
    summary.test = written.test
    summary.std = written.std
    summary.paddedLength = written.paddedLength
    return summary
  }

  /// The styles and how lines are given to them, for the `generator_parameters` attribute.
  var styleParameters: [(String, String)] {
    [
      ("styles", styles.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")),
      (
        "style_assignment",
        "line k of the generation order gets style k mod \(styles.count); a line over --max-points "
          + "is replaced by a later line of its style, so each style has \(lines / styles.count) or "
          + "\(lines / styles.count + 1) lines"
      ),
    ]
  }

  /// The notices that must ship with data made from the Hershey fonts and WordNet.
  static let notices = [
    """
    Hershey fonts (Debian hershey-fonts-data): The Hershey Fonts were originally created by Dr. A. V. \
    Hershey while working at the U. S. National Bureau of Standards. The format of the Font data in this \
    distribution was originally created by James Hurt, Cognition, Inc., 900 Technology Park Drive, \
    Billerica, MA 01821 (mit-eddie!ci-dandelion!hurt).
    """,
    """
    WordNet 3.0 (Debian wordnet-base), whose usage examples are the text of these lines: This software and \
    database is being provided to you, the LICENSEE, by Princeton University under the following license. \
    By obtaining, using and/or copying this software and database, you agree that you have read, \
    understood, and will comply with these terms and conditions.: Permission to use, copy, modify and \
    distribute this software and database and its documentation for any purpose and without fee or \
    royalty is hereby granted, provided that you agree to comply with the following copyright notice and \
    statements, including the disclaimer, and that the same appear on ALL copies of the software, \
    database and documentation, including modifications that you make for internal use or for \
    distribution. WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved. THIS SOFTWARE \
    AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES, \
    EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON UNIVERSITY MAKES NO \
    REPRESENTATIONS OR WARRANTIES OF MERCHANTABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE \
    OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS, \
    COPYRIGHTS, TRADEMARKS OR OTHER RIGHTS. The name of Princeton University or Princeton may not be used \
    in advertising or publicity pertaining to distribution of the software and/or database. Title to \
    copyright in this software, database and any associated documentation shall at all times remain with \
    Princeton University and LICENSEE agrees to preserve same.
    """,
  ]
}

/// Writes generated lines as IAM-OnDB files, so `sketch data iam` can read them back: lineStrokes XML
/// (`lineStrokes/h00/h00-000/h00-000-01.xml`, ten lines per form) and ascii transcriptions
/// (`ascii/h00/h00-000/h00-000.txt`, a `CSR:` section).
enum HersheyXML {
  static func write(_ lines: [GeneratedLine], to folder: String) throws {
    var forms: [String: [String]] = [:]
    var formOrder: [String] = []
    for (j, line) in lines.enumerated() {
      let form = j / 10
      let id = String(format: "h%02d-%03d", form / 1000, form % 1000)
      let group = String(id.prefix(3))
      let directory = "\(folder)/lineStrokes/\(group)/\(id)"
      try makeDirectory(directory)
      let name = String(format: "%@-%02d.xml", id, j % 10 + 1)
      try AtomicFile.write(text: xml(line), to: "\(directory)/\(name)")
      if forms[id] == nil { formOrder.append(id) }
      forms[id, default: []].append(line.text)
    }
    for id in formOrder {
      let directory = "\(folder)/ascii/\(id.prefix(3))/\(id)"
      try makeDirectory(directory)
      let text =
        "OCR:\n\n" + forms[id]!.joined(separator: "\n") + "\n\nCSR:\n\n" + forms[id]!.joined(separator: "\n") + "\n"
      try AtomicFile.write(text: text, to: "\(directory)/\(id).txt")
    }
    try AtomicFile.write(
      text: HersheyGenerator.notices.joined(separator: "\n\n") + "\n", to: "\(folder)/NOTICE.txt")
  }

  static func makeDirectory(_ path: String) throws {
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw DataError(path, "cannot create the folder (\(error.localizedDescription))")
    }
  }

  /// One line as a lineStrokes document (coordinates moved to positive values, 100 samples a second).
  static func xml(_ line: GeneratedLine) -> String {
    let xs = line.strokes.flatMap { stroke in stride(from: 0, to: stroke.count, by: 2).map { stroke[$0] } }
    let ys = line.strokes.flatMap { stroke in stride(from: 1, to: stroke.count, by: 2).map { stroke[$0] } }
    let dx = 100 - (xs.min() ?? 0)
    let dy = 100 - (ys.min() ?? 0)
    var out = """
      <?xml version="1.0" encoding="UTF-8"?>
      <WhiteboardCaptureSession>
        <WhiteboardDescription>
          <SensorLocation corner="top_left"/>
          <DiagonallyOppositeCoords x="\(Int((xs.max() ?? 0) + dx + 100))" y="\(Int((ys.max() ?? 0) + dy + 100))"/>
        </WhiteboardDescription>
        <StrokeSet>

      """
    var time = 0.0
    for stroke in line.strokes {
      let count = stroke.count / 2
      out += String(
        format: "    <Stroke colour=\"black\" start_time=\"%.2f\" end_time=\"%.2f\">\n", time,
        time + Double(count - 1) * 0.01)
      for k in 0..<count {
        out += String(
          format: "      <Point x=\"%d\" y=\"%d\" time=\"%.2f\"/>\n", Int(stroke[2 * k] + dx),
          Int(stroke[2 * k + 1] + dy), time)
        time += 0.01
      }
      out += "    </Stroke>\n"
      time += 0.15
    }
    out += "  </StrokeSet>\n</WhiteboardCaptureSession>\n"
    return out
  }
}
