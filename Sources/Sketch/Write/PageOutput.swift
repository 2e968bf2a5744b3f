import Codegen
import Foundation
import SketchFiles

/// The files of `sketch write --file`: per page `STEM-N.svg` (millimetres, for viewing) and
/// `STEM-N.png`, and all pages in `STEM.pdf` (png-svg); or per page one plotter file `STEM-N.svg`,
/// `.gcode` or `.hpgl`, its strokes ordered for short pen-up travel.
enum PageOutput {
  static let defaultDPI = 150.0
  /// The pen's width on the viewing formats (SVG, PNG, PDF), in millimetres: a fine ballpoint's.
  static let penWidth = 0.45

  /// The name of page `p` (0-based) of `stem` with extension `ext`: `STEM-1.EXT` for the first.
  static func pageFile(_ stem: String, _ p: Int, _ ext: String) -> String { "\(stem)-\(p + 1).\(ext)" }

  /// Writes the pages of `result` and returns what to report: the files written (and a note when a
  /// page file of an earlier, longer run is still there).
  static func write(
    _ result: PageWriting.Result, stem: String, page: PlotterPage, format: WritingFormat, gcode: GCodeWriter,
    dpi: Double, title: String
  ) throws -> [String] {
    var report: [String] = []
    let pages = (0..<result.pageCount).map { result.page($0) }
    let ext = format.plotterExtension ?? "svg"
    if format == .pngSVG {
      for (p, lines) in pages.enumerated() {
        let strokes = lines.flatMap { $0 }
        let svg = PlotterSVGWriter.svg(strokes, page: page, penWidth: penWidth, paper: true)
        try AtomicFile.write(data: Array(svg.utf8), to: pageFile(stem, p, "svg"))
        try png(strokes, page: page, dpi: dpi).write(to: pageFile(stem, p, "png"))
      }
      let pdf = try PDFWriter.pdf(
        pages: pages.map { $0.flatMap { $0 }.map { $0.flatMap { [$0.x, $0.y] } } }, width: page.width,
        height: page.height, penWidth: penWidth, title: title)
      try AtomicFile.write(data: pdf, to: stem + ".pdf")
    } else {
      for (p, lines) in pages.enumerated() {
        let plot = PlotterOutput(placed: lines, home: page.home)
        try AtomicFile.write(data: Array(plot.text(format, page: page, gcode: gcode).utf8), to: pageFile(stem, p, ext))
        report.append("page \(p + 1): " + plot.travelReport)
      }
    }
    let count = pages.count
    let size = String(format: "%g x %g mm", page.width, page.height)
    let numbers = count == 1 ? "1" : "1..\(count)"
    let files = (format == .pngSVG ? ["svg", "png"] : [ext]).map { "\(stem)-\(numbers).\($0)" }
    report.append(
      "wrote \(count) page\(count == 1 ? "" : "s") (\(size)): "
        + (files + (format == .pngSVG ? [stem + ".pdf"] : [])).joined(separator: ", "))
    let stale = format == .pngSVG ? ["svg", "png"] : [ext]
    for e in stale where FileManager.default.fileExists(atPath: pageFile(stem, count, e)) {
      report.append("note: \(pageFile(stem, count, e)) and any later pages are from an earlier run, not this one")
    }
    return report
  }

  /// A page as a grayscale PNG at `dpi` pixels per inch (black ink on white).
  static func png(_ strokes: [[PagePoint]], page: PlotterPage, dpi: Double) -> PNGImage {
    let px = dpi / 25.4
    var image = PNGImage(width: Int((page.width * px).rounded()), height: Int((page.height * px).rounded()))
    for s in strokes where !s.isEmpty {
      image.drawPolyline(s.map { (x: $0.x * px, y: $0.y * px) }, width: penWidth * px)
    }
    return image
  }
}
