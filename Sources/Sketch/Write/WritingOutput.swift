import Foundation
import SketchFiles

/// The files `sketch write` makes of written lines: a PNG of the lines, an SVG with one path per
/// stroke, and a PNG of the attention (the window phi over points and characters, Graves fig. 13).
enum WritingOutput {
  /// A line's strokes as absolute polylines (x, y interleaved; y downward), its offsets multiplied by
  /// the dataset's scale (digitiser units), starting at the origin.
  static func strokes(_ offsets: [(dx: Double, dy: Double, pen: Double)], scale: (x: Double, y: Double)) -> [[Double]] {
    var (x, y) = (0.0, 0.0)
    var strokes: [[Double]] = []
    var current: [Double] = []
    for o in offsets {
      x += o.dx * scale.x
      y += o.dy * scale.y
      current += [x, y]
      if o.pen > 0.5 {
        strokes.append(current)
        current = []
      }
    }
    if !current.isEmpty { strokes.append(current) }
    return strokes.filter { !$0.isEmpty }
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

  /// The window of one line: a column per point (`pixel` wide), a row per character (`pixel` · 4
  /// high), darker where phi is larger (scaled by its largest value).
  static func attention(_ phi: [[Double]], points: Int, pixel: Int = 2) -> PNGImage {
    let U = phi.first?.count ?? 0
    let S = Swift.max(1, Swift.min(points, phi.count))
    var image = PNGImage(width: S * pixel, height: Swift.max(1, U * pixel * 4))
    let top = phi.prefix(S).flatMap { $0 }.max() ?? 0
    guard top > 0 else { return image }
    for s in 0..<S {
      for u in 0..<U {
        let shade = phi[s][u] / top
        for dx in 0..<pixel {
          for dy in 0..<(pixel * 4) { image.blend(x: s * pixel + dx, y: u * pixel * 4 + dy, color: .black, coverage: shade) }
        }
      }
    }
    return image
  }
}
