import Foundation
import SketchFiles

/// The files `sketch write` makes of written lines: a PNG of the lines, an SVG with one path per
/// stroke, and a PNG of the attention (the window phi over points and characters, Graves fig. 13).
enum WritingOutput {
  /// A line's strokes as absolute polylines (x, y interleaved; y downward), its offsets multiplied by
  /// the dataset's scale (digitiser units), starting at the origin: one per ``strokeRanges(_:)``.
  static func strokes(_ offsets: [(dx: Double, dy: Double, pen: Double)], scale: (x: Double, y: Double)) -> [[Double]] {
    var (x, y) = (0.0, 0.0)
    var points: [Double] = []
    for o in offsets {
      x += o.dx * scale.x
      y += o.dy * scale.y
      points += [x, y]
    }
    return strokeRanges(offsets).map { Array(points[(2 * $0.lowerBound)..<(2 * $0.upperBound)]) }
  }

  /// The points (indices of `offsets`) of each stroke: a stroke ends with a point whose pen is lifted
  /// (pen > 0.5); points after the last lift make a last stroke. No range is empty.
  static func strokeRanges(_ offsets: [(dx: Double, dy: Double, pen: Double)]) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var start = 0
    for (k, o) in offsets.enumerated() where o.pen > 0.5 {
      ranges.append(start..<(k + 1))
      start = k + 1
    }
    if start < offsets.count { ranges.append(start..<offsets.count) }
    return ranges
  }

  /// The lines one under the other, black on white, `width` pixels wide.
  static func png(_ lines: [[[Double]]], width: Int = 1600) -> PNGImage { StrokeRenderer.render(lines, width: width) }

  /// An SVG of the lines one under the other, one `<path>` per stroke (a pen plotter draws each as one
  /// pen-down move), in the data's units, `lineHeight` apart, with a stroke of `penWidth`.
  static func svg(_ lines: [[[Double]]], lineHeight: Double? = nil, penWidth: Double = 1.5) -> String {
    var boxes: [(minX: Double, maxX: Double, minY: Double, maxY: Double)] = []
    for line in lines {
      let xs = line.flatMap { s in stride(from: 0, to: s.count, by: 2).map { s[$0] } }
      let ys = line.flatMap { s in stride(from: 1, to: s.count, by: 2).map { s[$0] } }
      boxes.append((xs.min() ?? 0, xs.max() ?? 0, ys.min() ?? 0, ys.max() ?? 0))
    }
    let height = lineHeight ?? Swift.max(1, (boxes.map { $0.maxY - $0.minY }.max() ?? 1) * 1.2)
    let margin = height * 0.2
    let width = (boxes.map { $0.maxX - $0.minX }.max() ?? 1) + 2 * margin
    var body = ""
    for (k, (line, box)) in zip(lines, boxes).enumerated() {
      let (ox, oy) = (margin - box.minX, margin + Double(k) * height - box.minY)
      for stroke in line {
        var d = ""
        for j in stride(from: 0, to: stroke.count, by: 2) {
          d += (j == 0 ? "M" : " L") + String(format: "%.1f %.1f", stroke[j] + ox, stroke[j + 1] + oy)
        }
        body += "  <path d=\"\(d)\"/>\n"
      }
    }
    let h = Double(lines.count) * height + 2 * margin
    return """
      <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(String(format: "%.1f %.1f", width, h))" \
      width="\(String(format: "%.1f", width))" height="\(String(format: "%.1f", h))">
      <g fill="none" stroke="black" stroke-width="\(penWidth)" stroke-linecap="round" stroke-linejoin="round">
      \(body)</g>
      </svg>

      """
  }

  /// The window of one line as a plot (Graves fig. 13): a column per point and a row per character of
  /// `text` (the characters the window read, written along the character axis; a space as `_`), darker
  /// where phi is larger (scaled by its largest value), with axes "point" and "character".
  static func attention(_ phi: [[Double]], points: Int, text: String) -> PlotCanvas {
    let characters = Array(text)
    let U = Swift.max(phi.first?.count ?? 0, 1)
    let S = Swift.max(1, Swift.min(points, phi.count))
    let title = "attention: window weight phi"
    let titleWidth = PlotCanvas.strokes(title, size: PlotCanvas.titleSize).width
    let (areaWidth, rowHeight) = (Swift.max(Double(Swift.min(Swift.max(S * 2, 300), 1600)), titleWidth + 8), 12.0)
    let frame = PlotFrame(
      left: 64, top: 34, right: 64 + areaWidth, bottom: 34 + Double(U) * rowHeight,
      x: .linear(0, Double(S), label: "point", minimumStep: 1),
      y: PlotAxis(
        lo: 0, hi: Double(U), label: "character", ticks: (0..<U).map { Double($0) + 0.5 },
        tickLabels: (0..<U).map { $0 < characters.count ? (characters[$0] == " " ? "_" : String(characters[$0])) : "" }),
      yUp: false)
    var canvas = PlotCanvas(width: Int(frame.right) + 16, height: Int(frame.bottom) + 52)
    let top = phi.prefix(S).flatMap { $0 }.max() ?? 0
    if top > 0 {
      for s in 0..<S {
        for u in 0..<Swift.min(U, phi[s].count) where phi[s][u] / top >= 1.0 / 255 {
          let (a, b) = (frame.point(Double(s), Double(u)), frame.point(Double(s + 1), Double(u + 1)))
          let gray = UInt8((255 * (1 - phi[s][u] / top)).rounded())
          canvas.add(.box(x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y, gray: gray))
        }
      }
    }
    canvas.axes(frame, title: title)
    return canvas
  }
}
