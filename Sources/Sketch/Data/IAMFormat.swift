import Foundation

/// Reading IAM-OnDB's files: lineStrokes XML (one text line each) and the ascii transcriptions.
///
/// A lineStrokes file is `<WhiteboardCaptureSession>` with one `<StrokeSet>` of `<Stroke>` elements, each
/// a list of `<Point x=".." y=".." time=".."/>` in whiteboard units (y grows downward). Only x and y
/// are used; `time` is optional here.
enum IAMFormat {
  /// The strokes of a lineStrokes document (each interleaved x, y; empty strokes dropped).
  static func strokes(fromXML bytes: [UInt8]) throws -> [[Double]] {
    let root: MarkupElement
    do {
      root = try MarkupParser.parse(bytes)
    } catch let error as XMLSyntaxError {
      throw DataError("", "malformed XML, \(error)")
    }
    let sets = root.descendants(named: "StrokeSet")
    guard sets.count == 1 else {
      throw DataError(
        "",
        sets.isEmpty
          ? "no <StrokeSet> element (is this an IAM-OnDB lineStrokes file?)"
          : "\(sets.count) <StrokeSet> elements, expected one")
    }
    var strokes: [[Double]] = []
    var points = 0
    for stroke in sets[0].children where stroke.name == "Stroke" {
      var coordinates: [Double] = []
      for point in stroke.children where point.name == "Point" {
        coordinates.append(try coordinate("x", of: point))
        coordinates.append(try coordinate("y", of: point))
      }
      points += coordinates.count / 2
      guard points <= StrokeLimits.pointsPerFile else { throw DataError("", StrokeLimits.tooManyPoints) }
      if !coordinates.isEmpty { strokes.append(coordinates) }
    }
    guard points > 0 else {
      throw DataError("", "empty <StrokeSet> on line \(sets[0].line) (no points)")
    }
    return strokes
  }

  private static func coordinate(_ name: String, of point: MarkupElement) throws -> Double {
    guard let text = point.attribute(name) else {
      throw DataError("", "<Point> on line \(point.line) has no '\(name)' attribute")
    }
    guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
      throw DataError("", "<Point> on line \(point.line) has \(name)=\"\(text)\", not a number")
    }
    guard abs(value) <= StrokeLimits.coordinate else {
      throw DataError(
        "",
        "<Point> on line \(point.line) has an absurd coordinate \(name)=\(text) "
          + "(beyond ±\(Int(StrokeLimits.coordinate)))")
    }
    return value
  }

  /// The form id and 1-based line number of a lineStrokes file name: `a01-000u-01.xml` is
  /// (`a01-000u`, 1). Nil when the name does not end in `-NN.xml`.
  static func formAndLine(ofFile path: String) -> (form: String, line: Int)? {
    var name = (path as NSString).lastPathComponent
    guard name.lowercased().hasSuffix(".xml") else { return nil }
    name.removeLast(4)
    guard let dash = name.lastIndex(of: "-"), let line = Int(name[name.index(after: dash)...]), line >= 1
    else { return nil }
    return (String(name[..<dash]), line)
  }

  /// The transcribed lines of an ascii file: the non-empty lines after `CSR:` (the corrected
  /// transcription), in order. Text is UTF-8, or ISO-8859-1 when it is not valid UTF-8.
  static func transcriptionLines(fromASCII bytes: [UInt8]) -> [String]? {
    let text = String(validating: bytes, as: UTF8.self) ?? String(bytes.map { Character(Unicode.Scalar($0)) })
    var lines = text.components(separatedBy: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
    guard let marker = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "CSR:" }) else {
      return nil
    }
    lines = Array(lines[(marker + 1)...])
    return lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
  }

  /// Every ascii file under `root`, as form id (`a01-000u.txt` is `a01-000u`) → its transcribed lines.
  static func transcriptions(under root: String) throws -> [String: [String]] {
    var forms: [String: [String]] = [:]
    for path in filesUnder(root, suffixes: [".txt"]) {
      let form = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
      if let lines = transcriptionLines(fromASCII: try readFileBytes(path)) { forms[form] = lines }
    }
    return forms
  }
}
