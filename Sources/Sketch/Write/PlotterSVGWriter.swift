import Foundation

/// An SVG for pen-plotter software (Inkscape's AxiDraw extension, vpype): the page's size in
/// millimetres, a viewBox in millimetres, one `<polyline>` per stroke in drawing order, stroke only.
enum PlotterSVGWriter {
  /// The drawing of `strokes` (millimetres, y downward) on `page`, with pen lines `penWidth` mm wide;
  /// `paper` puts a white page under them (for viewing; plotter software would draw its outline).
  static func svg(_ strokes: [[PagePoint]], page: PlotterPage, penWidth: Double = 0.3, paper: Bool = false) -> String {
    var body = ""
    for s in strokes where !s.isEmpty {
      // A one-point stroke (a dot) is written as a zero-length line, which the round cap draws.
      let points = (s.count == 1 ? [s[0], s[0]] : s).map { String(format: "%.3f,%.3f", $0.x, $0.y) }
      body += "  <polyline points=\"\(points.joined(separator: " "))\"/>\n"
    }
    let (w, h) = (String(format: "%g", page.width), String(format: "%g", page.height))
    return """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(w)mm" height="\(h)mm" viewBox="0 0 \(w) \(h)">
      \(paper ? "<rect width=\"\(w)\" height=\"\(h)\" fill=\"white\"/>\n" : "")<g fill="none" stroke="black" stroke-width="\(String(format: "%g", penWidth))" stroke-linecap="round" \
      stroke-linejoin="round">
      \(body)</g>
      </svg>

      """
  }
}
