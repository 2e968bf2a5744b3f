import ArgumentParser
import Codegen
import Foundation
import SketchFiles

/// `sketch write`: text as handwriting, with a trained synthesis model.
struct Write: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write text as handwriting with a synthesis model: PNG, SVG (one path per stroke), attention.",
    discussion: """
      Each line is drawn until the model's attention window has passed its last character (Graves' \
      stop rule); a line whose window does not get there within its step budget, stalls or goes back is \
      drawn again with the next seed (up to 4 draws, reported). --style NAME writes in one of the styles \
      of the model's training data (styles.json in its folder); --prime writes in the style of a sample \
      of handwriting: an IAM-OnDB lineStrokes .xml file, an .svg drawing (one line of writing), or a \
      dataset line DATASET.h5:INDEX, with --prime-text saying what it shows. --format svg-plotter, gcode \
      or hpgl writes one file for a pen plotter instead (STEM.svg, STEM.gcode, STEM.hpgl): the lines on \
      a page in millimetres (A4 portrait, 15 mm margins by default), one pen-down move per stroke, the \
      strokes ordered to shorten the pen-up travel (reported); see docs/writing.md. --file TEXT.txt writes \
      whole pages: paragraphs word-wrapped between the margins, aligned, one style on every line, as \
      SVG and PNG pages and one PDF, or one plotter file per page (docs/writing.md, "Pages").
      """)

  @Argument(help: "The text to write (or give --lines FILE or --file FILE).") var text: String?
  @Option(help: "The experiment folder or model file of a synthesis model.") var model: String
  @Option(
    name: [.customShort("o"), .customLong("output")],
    help: "Output file stem: STEM.png, STEM.svg, STEM-attention.png (with --format: STEM.svg, .gcode or .hpgl).")
  var output = "written"
  @Option(help: "Sampling bias (Graves): 0 writes as trained; larger is neater.") var bias = 0.5
  @Option(help: "A file of text to write, one line of writing per line.") var lines: String?
  @Option(
    help: "Write in the model's style NAME; several (NAME,NAME,... or all) write every line in each, in turn.")
  var style: String?
  @Option(help: "A primer: FILE.xml, FILE.svg or DATASET.h5:INDEX.") var prime: String?
  @Option(help: "The text the primer shows (a dataset line's own transcription by default).") var primeText: String?
  @Option(help: "Seed of the draws.") var seed: UInt64 = 0
  @Option(help: "Draws per line before the last is kept.") var maxDraws = 4
  @OptionGroup var plotter: PlotterFlags
  @OptionGroup var pages: PageFlags

  func validate() throws {
    try pages.validate(text: text, lines: lines, style: style, plotter: plotter)
    try FlagCheck.finite(bias, "--bias", 0...100, "0 samples the model as trained; larger is neater")
    if maxDraws < 1 { throw ValidationError("--max-draws must be at least 1, got \(maxDraws)") }
    if primeText != nil && prime == nil { throw ValidationError("--prime-text needs --prime") }
    if style != nil && prime != nil { throw ValidationError("give --style NAME or --prime FILE, not both") }
  }

  func run() throws {
    let texts: [String]
    if let lines {
      let content: String
      do { content = try String(contentsOfFile: lines, encoding: .utf8) } catch {
        throw ValidationError("--lines \(lines): cannot read it as UTF-8 text (\(error.localizedDescription))")
      }
      texts = content.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      guard !texts.isEmpty else { throw ValidationError("--lines \(lines) has no text") }
    } else {
      texts = text.map { [$0] } ?? []
    }
    let paragraphs = try pages.file.map(PageFlags.paragraphs(file:))
    let loaded = try WritingModel(path: model)
    var writer = try loaded.writer()
    writer.maxDraws = maxDraws
    if let paragraphs { return try writePages(paragraphs, writer: writer, modelFile: loaded.file, scale: loaded.scale) }
    var written: [HandwritingWriter.Line] = []
    var styleOf: [String?] = []
    if let style {
      let known = try loaded.styles()
      let names = style == "all" ? known.samples.map(\.name) : style.split(separator: ",").map(String.init)
      let primers = try names.map { ($0, try known.primer($0)) }  // every name checked before writing
      for (name, primer) in primers {
        written += try writer.write(texts, bias: bias, seed: seed, primer: primer)
        styleOf += texts.map { _ in name }
      }
    } else {
      written = try writer.write(texts, bias: bias, seed: seed, primer: try prime.map { try PrimerFile.load($0, text: primeText) })
      styleOf = texts.map { _ in nil }
    }
    let strokes = written.map(loaded.strokes)
    let images = plotter.format == .pngSVG
    if images {
      try WritingOutput.png(strokes).write(to: output + ".png")
      try AtomicFile.write(data: Array(WritingOutput.svg(strokes).utf8), to: output + ".svg")
    }
    for (k, line) in written.enumerated() {
      let name = written.count == 1 ? output + "-attention.png" : output + "-attention-\(k + 1).png"
      if images { try WritingOutput.attention(line.phi, points: line.offsets.count, text: line.windowText).png().write(to: name) }
      let strokesDrawn = strokes[k].count
      var report = "line \(k + 1)" + (styleOf[k].map { " (\($0))" } ?? "") + ": \(line.offsets.count) points, \(strokesDrawn) strokes"
      if line.draws > 1 { report += ", drawn \(line.draws) times (" + line.refusals.joined(separator: "; ") + ")" }
      print(report + ": \(line.text)")
    }
    if loaded.scale == nil { print("note: the model file does not record its data's scale; drawn in model units") }
    if images {
      print("wrote \(output).png, \(output).svg and the attention image\(written.count == 1 ? "" : "s")")
    } else {
      try writePlotterFile(strokes)
    }
  }

  /// The plotter file of `strokes` (one entry per line of writing, data units) in `--format`, and the
  /// report of its pen-up travel.
  func writePlotterFile(_ strokes: [[[Double]]]) throws {
    let page = plotter.page
    let plot: PlotterOutput
    do { plot = try PlotterOutput(lines: strokes, page: page) } catch let misfit as PlotterPage.Misfit {
      throw ValidationError(misfit.description)
    }
    let ext = plotter.format.plotterExtension ?? "svg"
    let text = plot.text(plotter.format, page: page, gcode: plotter.gcode)
    try AtomicFile.write(data: Array(text.utf8), to: output + "." + ext)
    print(plot.travelReport)
    let size = String(format: "%g x %g mm", page.width, page.height)
    print("wrote \(output).\(ext) (\(plotter.format.rawValue) on a \(size) page)")
  }
}
