import Foundation

/// The limits of `sketch serve`, set by its flags and reported to the page (`GET /api/model`).
struct ServeLimits: Codable, Equatable, Sendable {
  /// The largest request body, in bytes.
  var maxBodyBytes = 1 << 20
  /// Lines of writing per request, and characters per line.
  var maxLines = 8
  var maxCharactersPerLine = 80
  /// Points of a drawn primer as sent (before it is resampled to the model's density).
  var maxDrawnPoints = 20_000
  /// Points in all of the lines sent back for a download.
  var maxExportPoints = 200_000
  /// Seconds a request may take, waiting included.
  var maxSeconds = 60.0
  /// Generations running at once, and waiting for one of them.
  var maxConcurrent = 1
  var maxWaiting = 4
}

/// A request the server will not carry out: its HTTP status and what was wrong, with how to fix it.
struct ServeError: Error, CustomStringConvertible {
  let status: Int
  let description: String
  init(_ status: Int, _ message: String) {
    self.status = status
    description = message
  }
}

/// Strokes as sent by the page: absolute polylines, each x, y interleaved.
typealias Polylines = [[Double]]

/// `POST /api/write`: text to write, in a style of the model or the style of a drawn primer.
struct WriteRequest: Codable, Sendable {
  /// The text; each line of it is one line of writing.
  var text: String
  /// One of the model's styles (`GET /api/model`), or nil.
  var style: String?
  /// The user's own handwriting: strokes drawn on the page and the text they show.
  var primer: DrawnPrimer?
  var bias: Double?
  var seed: UInt64?
}

/// Strokes drawn by the user (canvas pixels, y downward) and what they say.
struct DrawnPrimer: Codable, Sendable {
  var strokes: Polylines
  var text: String
}

/// The answer to `POST /api/write`.
struct WriteResponse: Codable, Sendable {
  struct Line: Codable, Sendable {
    var text: String
    /// The strokes, in the training data's units, y downward, each line starting at the origin.
    var strokes: Polylines
    /// Points drawn, and draws it took (more than one when guarded sampling refused a draw).
    var points: Int
    var draws: Int
    var refusals: [String]
  }
  var lines: [Line]
  /// The style written in: a style's name, "drawn" (the request's primer), or nil (unprimed).
  var style: String?
  var seconds: Double
}

/// `POST /api/export`: written lines (as `/api/write` returned them) as a file to download.
struct ExportRequest: Codable, Sendable {
  /// "svg", "png", "gcode", "svg-plotter" or "hpgl".
  var format: String
  var lines: [Polylines]
  /// The stroke width of the SVG and PNG (data units).
  var penWidth: Double?
}

/// `POST /api/style`: drawn strokes and their text, as a style file for `sketch write --prime`.
typealias StyleRequest = DrawnPrimer

/// `GET /api/model`: what the page needs to know about the model and the server.
struct ModelInfo: Codable, Sendable {
  var experiment: String
  var alphabet: String
  var styles: [String]
  var defaultBias: Double
  var limits: ServeLimits
}

extension ServeLimits {
  /// The lines of writing of `request`'s text (blank lines dropped), checked against the limits.
  func lines(of request: WriteRequest) throws -> [String] {
    let lines = request.text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
    guard !lines.isEmpty else { throw ServeError(400, "\"text\" is empty: type something to write") }
    guard lines.count <= maxLines else {
      throw ServeError(413, "\(lines.count) lines of text; this server writes at most \(maxLines) per request")
    }
    if let long = lines.firstIndex(where: { $0.count > maxCharactersPerLine }) {
      throw ServeError(
        413,
        "line \(long + 1) has \(lines[long].count) characters; a line may have at most \(maxCharactersPerLine) "
          + "(break it into shorter lines)")
    }
    if let bias = request.bias, !(bias.isFinite && (0...10).contains(bias)) {
      throw ServeError(400, "\"bias\" must be a number from 0 (as trained) to 10 (neatest), got \(bias)")
    }
    if request.style != nil && request.primer != nil {
      throw ServeError(400, "give \"style\" or \"primer\", not both")
    }
    if let primer = request.primer { try check(primer) }
    return lines
  }

  /// Checks a drawn primer: some strokes, finite coordinates, not too many points, a text.
  func check(_ primer: DrawnPrimer) throws {
    let points = primer.strokes.reduce(0) { $0 + $1.count / 2 }
    guard points <= maxDrawnPoints else {
      throw ServeError(413, "the drawn primer has \(points) points; at most \(maxDrawnPoints) are accepted")
    }
    try Self.checkCoordinates(primer.strokes, what: "the drawn primer")
    guard primer.strokes.contains(where: { $0.count >= 4 }) else {
      throw ServeError(400, "the drawn primer has no strokes: write a line on the canvas first")
    }
    let text = primer.text.trimmingCharacters(in: .whitespaces)
    guard !text.isEmpty else { throw ServeError(400, "say what the drawn primer shows (its \"text\")") }
    guard text.count <= maxCharactersPerLine, !text.contains(where: \.isNewline) else {
      throw ServeError(400, "the primer's text must be one line of at most \(maxCharactersPerLine) characters")
    }
  }

  /// Checks the lines of a download request.
  func check(_ request: ExportRequest) throws {
    guard !request.lines.isEmpty, request.lines.count <= maxLines else {
      throw ServeError(400, "\"lines\" must hold 1 to \(maxLines) lines of strokes, got \(request.lines.count)")
    }
    let points = request.lines.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count / 2 } }
    guard points <= maxExportPoints else {
      throw ServeError(413, "\(points) points to export; at most \(maxExportPoints) are accepted")
    }
    for line in request.lines { try Self.checkCoordinates(line, what: "\"lines\"") }
    if let w = request.penWidth, !(w.isFinite && w > 0 && w <= 100) {
      throw ServeError(400, "\"penWidth\" must be above 0 and at most 100, got \(w)")
    }
  }

  /// Coordinates must come in x, y pairs of finite numbers of a sane size.
  static func checkCoordinates(_ strokes: Polylines, what: String) throws {
    for (k, s) in strokes.enumerated() {
      guard s.count % 2 == 0 else { throw ServeError(400, "\(what): stroke \(k) has an odd number of coordinates") }
      guard s.allSatisfy({ $0.isFinite && abs($0) <= 1e7 }) else {
        throw ServeError(400, "\(what): stroke \(k) has a coordinate that is not a finite number below 1e7")
      }
    }
  }
}
