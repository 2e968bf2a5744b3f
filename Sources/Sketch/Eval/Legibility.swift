import Foundation
import SketchFiles

/// How legible handwriting is, measured by a reader nobody here wrote: each line is rendered as
/// tesseract reads printed text best (black on white, 3 px strokes, the ink 135 px high with 40 px
/// margins), read with `tesseract IMAGE stdout --psm 13` (one raw line), and compared with its text:
/// the character error rate, Levenshtein distance over the text's length, case-insensitive, runs of
/// spaces counted as one.
enum Legibility {
  /// The image of one line's strokes (absolute x, y interleaved, y downward, any units).
  static func image(_ strokes: [[Double]], inkHeight: Double = 135, margin: Int = 40, pen: Double = 3) -> PNGImage {
    let xs = strokes.flatMap { s in stride(from: 0, to: s.count, by: 2).map { s[$0] } }
    let ys = strokes.flatMap { s in stride(from: 1, to: s.count, by: 2).map { s[$0] } }
    guard let x0 = xs.min(), let x1 = xs.max(), let y0 = ys.min(), let y1 = ys.max(), y1 > y0 || x1 > x0 else {
      return PNGImage(width: 2 * margin, height: 2 * margin)
    }
    let scale = inkHeight / Swift.max(y1 - y0, 1e-9)
    let width = Int(((x1 - x0) * scale).rounded(.up)) + 2 * margin
    guard width <= 20_000 else { return image(strokes, inkHeight: inkHeight * 20_000 / Double(width), margin: margin, pen: pen) }
    var img = PNGImage(width: width, height: Int(inkHeight.rounded(.up)) + 2 * margin)
    for s in strokes {
      let points = stride(from: 0, to: s.count, by: 2).map {
        (x: Double(margin) + (s[$0] - x0) * scale, y: Double(margin) + (s[$0 + 1] - y0) * scale)
      }
      img.drawPolyline(points, width: pen)
    }
    return img
  }

  /// What tesseract reads in `image` (one line, `--psm 13`); an error says how to install it.
  static func read(_ image: PNGImage, tesseract: String = "tesseract") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-ocr-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("line.png").path
    try image.write(to: path)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tesseract, path, "stdout", "--psm", "13"]
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch {
      throw WriteError("cannot run \(tesseract): \(error); install it with `apt-get install tesseract-ocr`")
    }
    let text = out.fileHandleForReading.readDataToEndOfFile()
    let messages = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let detail = String(decoding: messages, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      throw WriteError(
        "\(tesseract) failed (status \(process.terminationStatus)): \(detail.isEmpty ? "no message" : detail); "
          + "install it with `apt-get install tesseract-ocr`")
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// `text` lowercased, trimmed, with every run of white space one space.
  static func normalized(_ text: String) -> [Character] {
    Array(text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " "))
  }

  /// The Levenshtein distance of the normalised texts over the reference's length (1 for an empty
  /// reference read as anything, 0 for an empty reference read as nothing).
  static func characterErrorRate(reference: String, read: String) -> Double {
    let (a, b) = (normalized(reference), normalized(read))
    guard !a.isEmpty else { return b.isEmpty ? 0 : 1 }
    var row = Array(0...b.count)
    for i in 1...a.count {
      var previous = row[0]
      row[0] = i
      for j in stride(from: 1, through: b.count, by: 1) {
        let current = row[j]
        row[j] = Swift.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
        previous = current
      }
    }
    return Double(row[b.count]) / Double(a.count)
  }

  /// One line's result: its text, what was read, the rate.
  struct Reading {
    var text: String
    var read: String
    var errorRate: Double
  }

  /// Reads every line (text, strokes) and returns the readings with the mean rate over lines.
  static func evaluate(_ lines: [(text: String, strokes: [[Double]])], tesseract: String = "tesseract") throws
    -> (readings: [Reading], meanErrorRate: Double)
  {
    let readings = try lines.map { line -> Reading in
      let read = try Self.read(image(line.strokes), tesseract: tesseract).trimmingCharacters(in: .whitespacesAndNewlines)
      return Reading(text: line.text, read: read, errorRate: characterErrorRate(reference: line.text, read: read))
    }
    let mean = readings.isEmpty ? 0 : readings.map(\.errorRate).reduce(0, +) / Double(readings.count)
    return (readings, mean)
  }
}
