import Codegen
import Foundation

extension Write {
  /// `sketch write --file`: `paragraphs` written on pages with `writer` (the model in `modelFile`, its
  /// data's `scale`), in the style of --style or --prime (else carried from the calibration line),
  /// the files written and reported.
  func writePages(
    _ paragraphs: [PageLayout.Block], writer: HandwritingWriter, modelFile: String, scale: (x: Double, y: Double)?
  ) throws {
    // A folder that is missing or a target that cannot be replaced is found before any writing.
    let ext = plotter.format.plotterExtension ?? "svg"
    try AtomicFile.checkTarget(PageOutput.pageFile(output, 0, ext), inputs: [pages.file ?? ""])
    let primer: HandwritingWriter.Primer?
    if let style {
      primer = try StyleSamples.load(besides: modelFile).primer(style)
    } else {
      primer = try prime.map { try PrimerFile.load($0, text: primeText) }
    }
    let settings = pages.settings(plotter: plotter, seed: seed)
    let writing = PageWriting(writer: writer, settings: settings, bias: bias, seed: seed, dataScale: scale ?? (1, 1))
    let result = try writing.write(paragraphs, primer: primer)
    let how =
      style.map { "style \($0)" } ?? (prime != nil ? "primed with \(prime!)" : "carried: every line primed with it")
    print(
      "calibration line (\(how)): \"\(result.calibration.text)\", \(result.calibration.offsets.count) points, "
        + String(format: "%.4f mm per data unit", result.unit))
    for (k, line) in result.lines.enumerated() {
      let points = line.segments.map(\.offsets.count).reduce(0, +)
      var report = "page \(line.page + 1) line \(k + 1): \(points) points"
      if line.segments.count > 1 { report += " in \(line.segments.count) pieces" }
      let redrawn = line.segments.filter { $0.draws > 1 }
      if !redrawn.isEmpty {
        report +=
          ", "
          + redrawn.map { "\"\($0.text)\" drawn \($0.draws) times (\($0.refusals.last!))" }
          .joined(separator: "; ")
      }
      if let f = line.shrunk { report += String(format: ", written at %.1f%% of the size", f * 100) }
      print(report + ": \(line.text)")
    }
    for note in result.notes { print("note: " + note) }
    let title = URL(fileURLWithPath: pages.file ?? "").lastPathComponent
    for line in try PageOutput.write(
      result, stem: output, page: settings.page, format: plotter.format, gcode: plotter.gcode,
      dpi: pages.dpi ?? PageOutput.defaultDPI, title: title)
    {
      print(line)
    }
  }
}
