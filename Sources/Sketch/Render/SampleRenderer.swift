import Codegen
import Foundation
import SketchFiles

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
    return (0..<B).map { b in
      (0..<S).map { t in
        let i = (t * B + b) * 3
        return (v[i], v[i + 1], v[i + 2])
      }
    }
  }

  /// A grid of `columns` x ceil(n/columns) cells of `cell` pixels, every sequence drawn at one common
  /// scale (so sizes compare across cells), anti-aliased black strokes on white.
  static func grid(_ seqs: [[(dx: Double, dy: Double, pen: Double)]], columns: Int, cell: Int, lineWidth: Double = 1.6)
    -> PNGImage
  {
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

  /// The side of a grid cell in sketch.png and sketch.svg, in pixels.
  static let cell = 160
  /// The pixels of one step in pen.png (a square).
  static let penPixel = 2
  /// The widest pen.png: longer samples wrap into bands of this many pixels, one under the other.
  static let penWidth = 4_000
  /// The most pixels one image may have (256 MiB of gray), so that any accepted size can be written.
  static let maxPixels = 1 << 28

  /// The size of pen.png for `count` sequences of `steps` steps: bands of ``penWidth`` pixels (one row
  /// of ``penPixel`` per sequence, a blank row between bands).
  static func penImageSize(count: Int, steps: Int) -> (width: Int, height: Int, stepsPerBand: Int, bandHeight: Int) {
    let stepsPerBand = penWidth / penPixel
    let bands = Swift.max(1, (steps + stepsPerBand - 1) / stepsPerBand)
    let bandHeight = count * penPixel + (bands > 1 ? penPixel : 0)
    return (
      Swift.max(Swift.min(steps, stepsPerBand) * penPixel, 1), Swift.max(bands * bandHeight, 1), stepsPerBand,
      bandHeight
    )
  }

  /// Throws unless every image of `grid` x `grid` samples of `steps` steps can be written (sketch.png,
  /// pen.png): called before sampling, so that no work is done for output that cannot be written.
  static func requireDrawable(steps: Int, grid: Int) throws {
    let side = grid.multipliedReportingOverflow(by: cell)
    let (count, overflow) = grid.multipliedReportingOverflow(by: grid)
    guard !side.overflow, !overflow, side.partialValue <= PNGImage.maxDimension,
      side.partialValue.multipliedReportingOverflow(by: side.partialValue).partialValue <= maxPixels
    else {
      throw ConfigError(
        message: "--grid \(grid) makes sketch.png \(grid) x \(cell) pixels a side, more than an "
          + "image can hold (\(maxPixels) pixels); use a --grid of at most \(Int(Double(maxPixels).squareRoot()) / cell)"
      )
    }
    let pen = penImageSize(count: count, steps: steps)
    guard pen.height <= PNGImage.maxDimension, pen.width * pen.height <= maxPixels else {
      throw ConfigError(
        message: "--steps \(steps) with --grid \(grid) makes pen.png \(pen.width)x\(pen.height) "
          + "pixels, more than an image can hold (\(maxPixels) pixels); use fewer steps or a smaller grid")
    }
  }

  /// One image row per sequence and one column per step: black where the pen lifts (pen.png). Long
  /// samples wrap into bands of ``penWidth`` pixels (``penImageSize(count:steps:)``).
  static func penImage(_ seqs: [[(dx: Double, dy: Double, pen: Double)]]) -> PNGImage {
    let pixel = penPixel
    let size = penImageSize(count: seqs.count, steps: seqs.map(\.count).max() ?? 0)
    var img = PNGImage(width: size.width, height: size.height)
    for (b, s) in seqs.enumerated() {
      for (t, o) in s.enumerated() where o.pen > 0.5 {
        let x = (t % size.stepsPerBand) * pixel
        let y = (t / size.stepsPerBand) * size.bandHeight + b * pixel
        for dy in 0..<pixel { for dx in 0..<pixel { img.blend(x: x + dx, y: y + dy, color: .black, coverage: 1) } }
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
    var out =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(columns * cell)\" height=\"\(Swift.max(rows, 1) * cell)\">\n"
    out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    for (i, ls) in lines.enumerated() {
      let cx = Double((i % columns) * cell) + Double(cell) / 2
      let cy = Double((i / columns) * cell) + Double(cell) / 2
      for s in ls where !s.isEmpty {
        let d = s.enumerated().map { k, p in
          (k == 0 ? "M" : "L") + String(format: "%.2f %.2f", cx + p.x * scale, cy + p.y * scale)
        }.joined(separator: " ")
        out +=
          "<path d=\"\(d)\" fill=\"none\" stroke=\"black\" stroke-width=\"1.2\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>\n"
      }
    }
    return out + "</svg>\n"
  }
}
