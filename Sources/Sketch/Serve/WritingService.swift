import Codegen
import Foundation
import SketchFiles

/// What `sketch serve` does, apart from HTTP: writes requests' text with the model (one compiled
/// writer per generation slot, bounded by a ``GenerationGate``), and turns written lines into files.
final class WritingService: @unchecked Sendable {
  let model: WritingModel
  /// The model's styles by name (empty when its folder has no `styles.json`).
  let styles: StyleSamples
  let limits: ServeLimits
  /// How G-code downloads lift and lower the pen, their feeds and pen delay.
  let gcode: GCodeWriter
  /// Points per character of the model's style samples (the density a drawn primer is resampled to).
  let pointsPerCharacter: Double
  let gate: GenerationGate
  private let writers: [HandwritingWriter]

  static let defaultBias = 0.75

  /// Compiles `limits.maxConcurrent` writers of `model` for `mode` (nil: `SKETCH_MODE`, else native);
  /// G-code downloads are written with `gcode`.
  init(model: WritingModel, limits: ServeLimits, gcode: GCodeWriter = GCodeWriter(), mode: Mode? = nil) throws {
    self.model = model
    self.limits = limits
    self.gcode = gcode
    // No styles.json: no named styles; a damaged one stops the server (as `sketch write --style`).
    styles = try StyleSamples.loadIfPresent(besides: model.file) ?? StyleSamples(dataset: "", samples: [])
    let samples = styles.samples.filter { !$0.text.isEmpty }
    let density = samples.map { Double($0.rows.count / 3) / Double($0.text.count) }
    pointsPerCharacter = density.isEmpty ? 24 : density.reduce(0, +) / Double(density.count)
    writers = try (0..<limits.maxConcurrent).map { _ in try model.writer(mode: mode) }
    gate = GenerationGate(slots: limits.maxConcurrent, maxWaiting: limits.maxWaiting)
  }

  var info: ModelInfo {
    ModelInfo(
      experiment: model.experiment, alphabet: String(model.alphabet), styles: styles.samples.map(\.name),
      defaultBias: Self.defaultBias, limits: limits)
  }

  /// Writes the request's lines (as one batch, on a free slot).
  func write(_ request: WriteRequest) async throws -> WriteResponse {
    let lines = try limits.lines(of: request)
    let primer: HandwritingWriter.Primer?
    let styleName: String?
    if let name = request.style, !name.isEmpty {
      do { primer = try styles.primer(name) } catch {
        let known = styles.samples.map(\.name)
        throw ServeError(
          400, "no style \"\(name)\"; " + (known.isEmpty ? "this model has no styles" : "the styles are " + known.joined(separator: ", ")))
      }
      styleName = name
    } else if let drawn = request.primer {
      primer = try PrimerFile.primer(
        drawn: drawn.strokes, text: drawn.text.trimmingCharacters(in: .whitespaces), pointsPerCharacter: pointsPerCharacter)
      styleName = "drawn"
    } else {
      (primer, styleName) = (nil, nil)
    }
    let texts = primer.map { [$0.text] } ?? []
    for text in lines + texts { _ = try writers[0].encode(text) }  // unknown characters: 400 before queueing
    let (bias, seed) = (request.bias ?? Self.defaultBias, request.seed ?? 0)
    let started = Date()
    let written: [HandwritingWriter.Line]
    do {
      written = try await gate.run(timeout: limits.maxSeconds) { [writers] slot in
        try SendableLines(writers[slot].write(lines, bias: bias, seed: seed, primer: primer))
      }.lines
    } catch let refusal as GenerationGate.Refusal {
      switch refusal {
      case .busy(let running, let waiting):
        throw ServeError(429, "the server is busy (\(running) writing, \(waiting) waiting); try again in a moment")
      case .timedOut(let seconds):
        throw ServeError(503, "writing took longer than \(Int(seconds)) s; write fewer or shorter lines")
      }
    }
    return WriteResponse(
      lines: written.map { line in
        WriteResponse.Line(
          text: line.text, strokes: model.strokes(line).map { $0.map { ($0 * 100).rounded() / 100 } },
          points: line.offsets.count, draws: line.draws, refusals: line.refusals)
      }, style: styleName, seconds: Date().timeIntervalSince(started))
  }

  /// A file of written lines: its bytes, media type and file name.
  func export(_ request: ExportRequest) throws -> (bytes: [UInt8], type: String, name: String) {
    try limits.check(request)
    let width = request.penWidth ?? 1.5
    switch request.format {
    case "svg":
      return (Array(WritingOutput.svg(request.lines, penWidth: width).utf8), "image/svg+xml", "handwriting.svg")
    case "png":
      return (try StrokeRenderer.render(request.lines, width: 1600).encoded(), "image/png", "handwriting.png")
    case "gcode", "svg-plotter", "hpgl":
      let format = WritingFormat(rawValue: request.format)!
      let page = PlotterPage()
      let plot: PlotterOutput
      do { plot = try PlotterOutput(lines: request.lines, page: page) } catch let misfit as PlotterPage.Misfit {
        throw ServeError(400, misfit.description)
      }
      let text = plot.text(format, page: page, gcode: gcode)
      let ext = format.plotterExtension!
      let type = format == .svgPlotter ? "image/svg+xml" : "text/plain; charset=utf-8"
      return (Array(text.utf8), type, "handwriting" + (format == .svgPlotter ? "-plotter." : ".") + ext)
    default:
      throw ServeError(400, "\"format\" must be svg, png, gcode, svg-plotter or hpgl, got \"\(request.format)\"")
    }
  }

  /// A style file of the user's drawn line (an SVG that `sketch write --prime FILE.svg` reads).
  func styleFile(_ request: StyleRequest) throws -> String {
    try limits.check(request)
    let text = request.text.trimmingCharacters(in: .whitespaces)
    _ = try writers[0].encode(text)
    return PrimerFile.styleFile(strokes: request.strokes, text: text)
  }
}

/// Written lines handed from a generation thread to the request's task (they are plain values).
private struct SendableLines: @unchecked Sendable {
  let lines: [HandwritingWriter.Line]
  init(_ lines: [HandwritingWriter.Line]) { self.lines = lines }
}
