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
    var rows: [Float]
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
      case "svg": strokes = try SVGDrawing.strokes(fromSVG: bytes, tolerance: 0.5)
      default:
        throw WriteError("--prime \(path): give an IAM-OnDB lineStrokes .xml file, an .svg drawing or DATASET.h5:LINE")
      }
      rows = normalized(StrokeRows.rows(strokes: strokes))
    }
    guard let shown, !shown.isEmpty else {
      throw WriteError("--prime \(path): say what the primer shows with --prime-text \"...\"")
    }
    let count = rows.count / 3
    guard count >= 2 else { throw WriteError("--prime \(path): the primer has no strokes") }
    guard count <= maxPoints else {
      throw WriteError("--prime \(path): \(count) points; a primer may have at most \(maxPoints) (one line of writing)")
    }
    let offsets = (0..<count).map { (dx: Double(rows[3 * $0]), dy: Double(rows[3 * $0 + 1]), pen: Double(rows[3 * $0 + 2])) }
    return HandwritingWriter.Primer(offsets: offsets, text: shown)
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
