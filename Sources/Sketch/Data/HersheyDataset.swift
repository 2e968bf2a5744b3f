import Codegen
import Foundation

/// One generated line: its text and pen-down strokes in digitiser units (integers, y downward).
struct GeneratedLine {
  var index: Int
  var text: String
  var strokes: [[Double]]
  var rows: [Float] { StrokeRows.rows(strokes: strokes) }
}

/// `sketch data hershey`: the built-in handwriting dataset (docs/data.md), made from Debian's
/// hershey-fonts-data (the `scripts` font) and wordnet-base (the text). Deterministic per seed.
struct HersheyGenerator {
  /// Bumped whenever the output for a given seed changes (names the built-in dataset file).
  static let version = 1
  static let defaultFont = "/usr/share/hershey-fonts/scripts.jhf"

  var lines = 6000
  var seed = 0
  var maxPoints = 1200
  var fontPath = defaultFont
  var wordNetFolder = HersheyText.defaultWordNetFolder
  var quiet = false
  var commandLine = ""

  /// Loads the `scripts` font, with a clear error when the package is missing.
  func loadFont() throws -> ScriptFont {
    guard fileKind(fontPath).exists else {
      throw DataError(
        fontPath, "missing Hershey font",
        hint: "install Debian's hershey-fonts-data (scripts/install-deps.sh), or pass --font FILE")
    }
    let text = String(decoding: try readFileBytes(fontPath), as: UTF8.self)
    do {
      return try ScriptFont(jhf: try JHFFont.parse(text))
    } catch let error as JHFFont.ParseError {
      throw DataError(fontPath, "not a valid .jhf font, \(error)")
    } catch let error as DataError {
      throw DataError(fontPath, error.message)
    }
  }

  /// Generates lines until `count` of them have at most `maxPoints` rows (0: no limit), in order.
  /// `sentences` defaults to WordNet's usage examples.
  func generate(count: Int, font: ScriptFont, sentences: [String], progress: ProgressReporter? = nil)
    -> (lines: [GeneratedLine], tooLong: Int)
  {
    let writer = HersheyWriter(font: font)
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
        var random = RandomStream(seed: UInt64(bitPattern: Int64(seed)), stream: 0x1000_0000 + UInt64(first + offset))
        let style = HandStyle(random: &random)
        return GeneratedLine(
          index: first + offset, text: line, strokes: writer.write(line, style: style, random: &random))
      }
      index += chunk
      for line in made where accepted.count < count {
        let points = line.strokes.reduce(0) { $0 + $1.count / 2 }
        if maxPoints > 0 && points - 1 > maxPoints {
          tooLong += 1
        } else {
          accepted.append(line)
          progress?.advance()
        }
      }
    }
    return (accepted, tooLong)
  }

  /// Generates the dataset and writes it to `output` (and the IAM-style XML to `xmlFolder`).
  func run(output: String, xmlFolder: String? = nil) throws -> ImportSummary {
    guard lines >= 1 else { throw DataError("--lines", "must be at least 1, got \(lines)") }
    try requireOutputFile(output, inputs: [fontPath])
    let font = try loadFont()
    let sentences = try HersheyText.wordNetSentences(folder: wordNetFolder)
    let progress = ProgressReporter("writing Hershey lines", total: lines, quiet: quiet)
    let (generated, tooLong) = generate(count: lines, font: font, sentences: sentences, progress: progress)
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
      StrokeRecord(rows: $0.rows, transcription: $0.text, source: "hershey seed \(seed) line \($0.index)")
    }
    let parameters = HandStyle.ranges.map { "\($0.0): \($0.1)" }.joined(separator: "\n")
    let written = try StrokeDatasetWriter.write(
      records, to: output,
      description: StrokeDatasetDescription(
        kind: "hershey", units: "digitiser units: Hershey font units x 10 (x-height 90), y grows downward",
        maxPoints: maxPoints, seed: seed,
        attributes: [
          ("created_by", .string(commandLine)),
          (
            "generator",
            .string(
              "sketch data hershey (docs/data.md recipe), scripts Hershey font, "
                + "WordNet 3.0 usage examples")
          ),
          ("generator_version", .int(HersheyGenerator.version)),
          ("generator_parameters", .string(parameters)),
          ("font", .string(fontPath)),
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
