/// The limits every importer applies to what one source file may produce (IAM-OnDB lineStrokes and
/// SVG drawings alike), so that a hostile or broken file is reported and skipped instead of storing
/// non-finite values or exhausting memory.
enum StrokeLimits {
  /// The largest coordinate magnitude accepted, after transforms: IAM-OnDB's whiteboard units stay
  /// below 10^4, and drawings in pixels or millimetres far below this.
  static let coordinate = 1_000_000.0
  /// The most points one file may produce (its rows, plus one). The padded dataset holds every line at
  /// the longest line's length, so one huge file would inflate all of them.
  static let pointsPerFile = 100_000
  /// The deepest element nesting read from an XML file (IAM-OnDB's files nest 4 deep; SVG editors a
  /// few dozen at most). Deeper files are refused before the tree is built.
  static let xmlDepth = 128

  /// An error message when a point is not finite or beyond ``coordinate``, else nil.
  static func problem(x: Double, y: Double) -> String? {
    guard x.isFinite, y.isFinite else { return "a point (\(x), \(y)) that is not finite" }
    guard abs(x) <= coordinate, abs(y) <= coordinate else {
      return "a point (\(x), \(y)) beyond ±\(Int(coordinate))"
    }
    return nil
  }

  /// Throws `error(message)` for the first point of `strokes` (interleaved x, y) that is out of
  /// limits.
  static func check(_ strokes: [[Double]], _ error: (String) -> Error) throws {
    for stroke in strokes {
      for k in stride(from: 0, to: stroke.count - 1, by: 2) {
        if let problem = problem(x: stroke[k], y: stroke[k + 1]) { throw error(problem) }
      }
    }
  }

  /// The message for a file with more than ``pointsPerFile`` points.
  static var tooManyPoints: String {
    "more than \(pointsPerFile) points in one file (the limit of one sequence)"
  }
}
