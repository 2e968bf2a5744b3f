import Foundation

/// A primer for `sketch write --prime FILE` (Graves 5.5: "write in my handwriting"): the strokes of one
/// line from an IAM-OnDB lineStrokes XML file, an SVG drawing, or a line of a Sketch dataset
/// (`FILE.h5:INDEX`), with the text it shows.
///
/// A dataset line is used as stored (normalised by its file's deviations). Strokes from XML and SVG,
/// whose units are the capture device's, are normalised by their own deviations of dx and dy, as a
/// dataset normalises its lines, so the network reads them at the scale it was trained on.
enum PrimerFile {
  /// The most points a primer may have (the network reads them all before writing).
  static let maxPoints = 3_000

  /// The primer in `path` (`FILE.h5:INDEX` for a dataset line) showing `text` (a dataset line's own
  /// transcription when `text` is nil).
  static func load(_ path: String, text: String?) throws -> HandwritingWriter.Primer {
    let rows: [Float]
    var shown = text
    if let colon = path.lastIndex(of: ":"), path[..<colon].hasSuffix(".h5") {
      let file = String(path[..<colon])
      guard let index = Int(path[path.index(after: colon)...]) else {
        throw WriteError("--prime \(path): the part after ':' must be a line number, e.g. \(file):0")
      }
      let dataset = try StrokeDataset(path: file)
      guard (0..<dataset.count).contains(index) else {
        throw WriteError("--prime \(path): the dataset has lines 0..<\(dataset.count)")
      }
      rows = try dataset.rows(index)
      if shown == nil { shown = try dataset.transcriptions()?[index] }
    } else {
      let bytes = try readFileBytes(path)
      let strokes: [[Double]]
      switch URL(fileURLWithPath: path).pathExtension.lowercased() {
      case "xml": strokes = try IAMFormat.strokes(fromXML: bytes)
      case "svg":
        strokes = try SVGDrawing.strokes(fromSVG: bytes, tolerance: 0.5)
        if shown == nil { shown = svgText(bytes) }
      default:
        throw WriteError("--prime \(path): give an IAM-OnDB lineStrokes .xml file, an .svg drawing or DATASET.h5:LINE")
      }
      rows = normalized(StrokeRows.rows(strokes: strokes))
    }
    return try primer(rows: rows, text: shown, source: "--prime \(path)")
  }

  /// A primer of strokes drawn by hand (absolute points, each stroke x, y interleaved, y downward, in
  /// any units: a page's canvas pixels) showing `text`, resampled along each stroke to about
  /// `pointsPerCharacter` points per character of `text` (the density the model was trained on, so
  /// that a fast pen and a slow mouse give the same primer), then normalised like a file's strokes.
  static func primer(drawn strokes: [[Double]], text: String, pointsPerCharacter: Double) throws
    -> HandwritingWriter.Primer
  {
    let target = Int((pointsPerCharacter * Double(text.count)).rounded())
    let resampled = resample(strokes.filter { $0.count >= 2 }, points: Swift.min(Swift.max(target, 2), maxPoints))
    return try primer(rows: normalized(StrokeRows.rows(strokes: resampled)), text: text, source: "the drawn primer")
  }

  /// The primer of `rows` (normalised dx, dy, pen) showing `text`; `source` names it in errors.
  private static func primer(rows: [Float], text: String?, source: String) throws -> HandwritingWriter.Primer {
    guard let text, !text.isEmpty else {
      throw WriteError("\(source): say what the primer shows with --prime-text \"...\"")
    }
    let count = rows.count / 3
    guard count >= 2 else { throw WriteError("\(source): the primer has no strokes") }
    guard count <= maxPoints else {
      throw WriteError("\(source): \(count) points; a primer may have at most \(maxPoints) (one line of writing)")
    }
    let offsets = (0..<count).map { (dx: Double(rows[3 * $0]), dy: Double(rows[3 * $0 + 1]), pen: Double(rows[3 * $0 + 2])) }
    return HandwritingWriter.Primer(offsets: offsets, text: text)
  }

  /// Strokes resampled to `points` points in all, shared among the strokes by their lengths, evenly
  /// spaced along each (its first and last points kept; a stroke gets at least one point, two when it
  /// has any length).
  static func resample(_ strokes: [[Double]], points: Int) -> [[Double]] {
    // The length of the segment that ends at point j of stroke s.
    func segment(_ s: [Double], _ j: Int) -> Double {
      let dx: Double = s[2 * j] - s[2 * j - 2]
      let dy: Double = s[2 * j + 1] - s[2 * j - 1]
      return (dx * dx + dy * dy).squareRoot()
    }
    func length(_ s: [Double]) -> Double { (1..<Swift.max(1, s.count / 2)).reduce(0.0) { $0 + segment(s, $1) } }
    let lengths = strokes.map(length)
    let total = lengths.reduce(0, +)
    var out: [[Double]] = []
    for (stroke, len) in zip(strokes, lengths) {
      guard len > 0, total > 0 else {
        out.append(Array(stroke.prefix(2)))
        continue
      }
      let n = Swift.max(2, Int((Double(points) * len / total).rounded()))
      var line: [Double] = []
      var j = 1  // the segment being walked ends at point j
      var before = 0.0  // the stroke's length before that segment
      for i in 0..<n {
        let at = len * Double(i) / Double(n - 1)
        while j + 1 < stroke.count / 2 && before + segment(stroke, j) < at {
          before += segment(stroke, j)
          j += 1
        }
        let seg = segment(stroke, j)
        let t = seg > 0 ? Swift.min(1, Swift.max(0, (at - before) / seg)) : 0
        line.append(stroke[2 * j - 2] + t * (stroke[2 * j] - stroke[2 * j - 2]))
        line.append(stroke[2 * j - 1] + t * (stroke[2 * j + 1] - stroke[2 * j - 1]))
      }
      out.append(line)
    }
    return out
  }

  /// The marker of the text a style file shows (written by `sketch serve`'s "Save style file").
  static let textMarker = "<desc id=\"sketch-primer-text\">"

  /// The text an SVG style file records it shows, if it records one.
  static func svgText(_ bytes: [UInt8]) -> String? {
    let svg = String(decoding: bytes, as: UTF8.self)
    guard let start = svg.range(of: textMarker), let end = svg.range(of: "</desc>", range: start.upperBound..<svg.endIndex)
    else { return nil }
    let text = String(svg[start.upperBound..<end.lowerBound])
      .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
      .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
      .replacingOccurrences(of: "&amp;", with: "&")
    return text.isEmpty ? nil : text
  }

  /// An SVG style file of drawn strokes (canvas units, y downward) and the text they show: one path
  /// per stroke, readable by `sketch write --prime FILE.svg` (which takes the text from it).
  static func styleFile(strokes: [[Double]], text: String) -> String {
    let xs = strokes.flatMap { s in stride(from: 0, to: s.count, by: 2).map { s[$0] } }
    let ys = strokes.flatMap { s in stride(from: 1, to: s.count, by: 2).map { s[$0] } }
    let (x0, y0) = ((xs.min() ?? 0) - 10, (ys.min() ?? 0) - 10)
    let (w, h) = ((xs.max() ?? 0) - x0 + 10, (ys.max() ?? 0) - y0 + 10)
    let paths = strokes.filter { $0.count >= 2 }.map { s in
      "  <path d=\"" + stride(from: 0, to: s.count - 1, by: 2).map {
        ($0 == 0 ? "M" : "L") + String(format: "%.1f %.1f", s[$0] - x0, s[$0 + 1] - y0)
      }.joined(separator: " ") + "\"/>"
    }
    let escaped = text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
    return """
      <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(String(format: "%.1f %.1f", w, h))">
      \(textMarker)\(escaped)</desc>
      <g fill="none" stroke="black" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
      \(paths.joined(separator: "\n"))
      </g>
      </svg>

      """
  }

  /// Rows with dx and dy divided by their own standard deviations.
  static func normalized(_ rows: [Float]) -> [Float] {
    let n = rows.count / 3
    guard n > 1 else { return rows }
    func std(_ c: Int) -> Float {
      let v = (0..<n).map { Double(rows[3 * $0 + c]) }
      let mean = v.reduce(0, +) / Double(n)
      let s = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
      return s > 0 ? Float(s) : 1
    }
    let (sx, sy) = (std(0), std(1))
    var out = rows
    for k in 0..<n { (out[3 * k], out[3 * k + 1]) = (rows[3 * k] / sx, rows[3 * k + 1] / sy) }
    return out
  }
}
