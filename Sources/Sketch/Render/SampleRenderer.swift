import Codegen
import Foundation

/// Drawing stroke sequences (rows of dx, dy, pen offsets) as PNG and SVG.
///
/// A point's pen flag ends its stroke: the next point starts a new one. y grows downward, as in
/// IAM-OnDB and on screen.
enum SampleRenderer {
  typealias Point = (x: Double, y: Double)

  /// The strokes of one sequence as absolute polylines (cumulative sums of the offsets), centred on
  /// the mean point as the original does.
  static func polylines(_ offsets: [(dx: Double, dy: Double, pen: Double)]) -> [[Point]] {
    var x = 0.0
    var y = 0.0
    var all: [Point] = []
    var strokes: [[Point]] = []
    var current: [Point] = []
    for o in offsets {
      x += o.dx
      y += o.dy
      all.append((x, y))
      current.append((x, y))
      if o.pen > 0.5 {
        strokes.append(current)
        current = []
      }
    }
    if !current.isEmpty { strokes.append(current) }
    guard !all.isEmpty else { return [] }
    let mx = all.map(\.x).reduce(0, +) / Double(all.count)
    let my = all.map(\.y).reduce(0, +) / Double(all.count)
    return strokes.map { $0.map { ($0.x - mx, $0.y - my) } }
  }

  /// Rows of a [S, B, 3] tensor as B sequences.
  static func sequences(_ strokes: Tensor) -> [[(dx: Double, dy: Double, pen: Double)]] {
    let (S, B) = (strokes.shape[0], strokes.shape[1])
    let v = strokes.doubles
    return (0..<B).map { b in (0..<S).map { t in let i = (t * B + b) * 3; return (v[i], v[i + 1], v[i + 2]) } }
  }

  /// A grid of `columns` x ceil(n/columns) cells of `cell` pixels, every sequence drawn at one common
  /// scale (so sizes compare across cells), anti-aliased black strokes on white.
  static func grid(_ seqs: [[(dx: Double, dy: Double, pen: Double)]], columns: Int, cell: Int, lineWidth: Double = 1.6) -> PNGImage {
    let rows = (seqs.count + columns - 1) / Swift.max(columns, 1)
    var img = PNGImage(width: columns * cell, height: Swift.max(rows, 1) * cell)
    let lines = seqs.map(polylines)
    var ext = 1e-9
    for ls in lines { for s in ls { for p in s { ext = Swift.max(ext, Swift.abs(p.x), Swift.abs(p.y)) } } }
    let scale = (Double(cell) / 2 - 3) / ext
    for (i, ls) in lines.enumerated() {
      let cx = Double((i % columns) * cell) + Double(cell) / 2
      let cy = Double((i / columns) * cell) + Double(cell) / 2
      for s in ls { img.drawPolyline(s.map { (cx + $0.x * scale, cy + $0.y * scale) }, width: lineWidth) }
    }
    return img
  }

  /// One image row per sequence and one column per step: black where the pen lifts (pen.png).
  static func penImage(_ seqs: [[(dx: Double, dy: Double, pen: Double)]], pixel: Int = 2) -> PNGImage {
    let steps = seqs.map(\.count).max() ?? 0
    var img = PNGImage(width: Swift.max(steps * pixel, 1), height: Swift.max(seqs.count * pixel, 1))
    for (b, s) in seqs.enumerated() {
      for (t, o) in s.enumerated() where o.pen > 0.5 {
        for dy in 0..<pixel { for dx in 0..<pixel { img.blend(x: t * pixel + dx, y: b * pixel + dy, color: .black, coverage: 1) } }
      }
    }
    return img
  }

  /// An SVG of the same grid: one `<path>` per stroke, in a common scale.
  static func svg(_ seqs: [[(dx: Double, dy: Double, pen: Double)]], columns: Int, cell: Int) -> String {
    let rows = (seqs.count + columns - 1) / Swift.max(columns, 1)
    let lines = seqs.map(polylines)
    var ext = 1e-9
    for ls in lines { for s in ls { for p in s { ext = Swift.max(ext, Swift.abs(p.x), Swift.abs(p.y)) } } }
    let scale = (Double(cell) / 2 - 3) / ext
    var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(columns * cell)\" height=\"\(Swift.max(rows, 1) * cell)\">\n"
    out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    for (i, ls) in lines.enumerated() {
      let cx = Double((i % columns) * cell) + Double(cell) / 2
      let cy = Double((i / columns) * cell) + Double(cell) / 2
      for s in ls where !s.isEmpty {
        let d = s.enumerated().map { k, p in
          (k == 0 ? "M" : "L") + String(format: "%.2f %.2f", cx + p.x * scale, cy + p.y * scale)
        }.joined(separator: " ")
        out += "<path d=\"\(d)\" fill=\"none\" stroke=\"black\" stroke-width=\"1.2\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>\n"
      }
    }
    return out + "</svg>\n"
  }
}
