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
  /// The width in pixels of pen.png's plot area; longer samples share a column between several steps.
  static let penPlotWidth = 800
  /// The most points one sampling may draw (samples x steps; three floats each): 2^26, 768 MiB.
  static let maxPoints = 1 << 26
  /// The most pixels one image may have (256 MiB of gray), so that any accepted size can be written.
  static let maxPixels = 1 << 28

  /// The height in pixels of one sample's row in pen.png: 24 for a few samples, down to 6 for many.
  static func penRowHeight(count: Int) -> Int { Swift.max(6, Swift.min(24, 240 / Swift.max(count, 1))) }

  /// The plot area of pen.png for `count` samples of `steps` steps: a row per sample (the first at the
  /// top), the steps along x.
  static func penFrame(count: Int, steps: Int) -> PlotFrame {
    let n = Swift.max(count, 1)
    let every = n <= 16 ? 1.0 : PlotAxis.niceStep(Double(n), count: 8)
    let shown = stride(from: every == 1 ? 1 : every, through: Double(n), by: every).map { Int($0) }
    let top = 34.0
    return PlotFrame(
      left: 64, top: top, right: 64 + Double(penPlotWidth), bottom: top + Double(n * penRowHeight(count: n)),
      x: .linear(0, Double(Swift.max(steps, 1)), label: "step", minimumStep: 1),
      y: PlotAxis(
        lo: 0, hi: Double(n), label: "sample", ticks: shown.map { Double($0) - 0.5 }, tickLabels: shown.map { "\($0)" }),
      yUp: false)
  }

  /// The size of pen.png for `count` samples (the steps do not change it).
  static func penImageSize(count: Int) -> (width: Int, height: Int) {
    let frame = penFrame(count: count, steps: 1)
    return (Int(frame.right) + 16, Int(frame.bottom) + 52)
  }

  /// Throws unless `grid` x `grid` samples of `steps` steps can be drawn and their images written
  /// (sketch.png, pen.png): called before sampling, so that no work is done for output that cannot be
  /// written.
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
    let points = count.multipliedReportingOverflow(by: steps)
    guard !points.overflow, points.partialValue <= maxPoints else {
      throw ConfigError(
        message: "--steps \(steps) with --grid \(grid) is \(count) samples of \(steps) points, more than one "
          + "sampling may draw (\(maxPoints) points); use fewer steps or a smaller grid")
    }
    let pen = penImageSize(count: count)
    guard pen.height <= PNGImage.maxDimension, pen.width * pen.height <= maxPixels else {
      throw ConfigError(
        message: "--grid \(grid) makes pen.png \(pen.width)x\(pen.height) pixels, more than an image can hold "
          + "(\(maxPixels) pixels); use a smaller grid")
    }
  }

  /// pen.png: where each sample's strokes end, a row per sample and the steps along x, black where the
  /// pen lifts (when a column holds several steps, darker the more lifts it holds), a thin gray line
  /// over the steps the sample has, with axes "step" and "sample" and a title.
  static func penPlot(_ seqs: [[(dx: Double, dy: Double, pen: Double)]]) -> PlotCanvas {
    let steps = Swift.max(seqs.map(\.count).max() ?? 0, 1)
    let frame = penFrame(count: seqs.count, steps: steps)
    let size = penImageSize(count: seqs.count)
    var canvas = PlotCanvas(width: size.width, height: size.height)
    // Lifts per column of the plot area (a column is one pixel, or one step when there are fewer steps).
    let columns = Swift.min(steps, penPlotWidth)
    var lifts = [[Int]](repeating: [Int](repeating: 0, count: columns), count: seqs.count)
    for (b, s) in seqs.enumerated() {
      for (t, o) in s.enumerated() where o.pen > 0.5 { lifts[b][t * columns / steps] += 1 }
    }
    // A thin gray line along each row shows the steps the sample has (a synthesis row stops early).
    for (b, s) in seqs.enumerated() where !s.isEmpty {
      let (start, end) = (frame.point(0, Double(b) + 0.5), frame.point(Double(s.count), Double(b) + 0.5))
      canvas.add(.polyline([start, end], width: 2, gray: 190))
    }
    let most = Swift.max(lifts.flatMap { $0 }.max() ?? 0, 1)
    for (b, row) in lifts.enumerated() {
      for (c, n) in row.enumerated() where n > 0 {
        let a = frame.point(Double(c) * Double(steps) / Double(columns), Double(b))
        let z = frame.point(Double(c + 1) * Double(steps) / Double(columns), Double(b + 1))
        let ink = most == 1 ? 1 : 0.3 + 0.7 * Double(n) / Double(most)
        canvas.add(.box(x: a.x, y: a.y, width: z.x - a.x, height: z.y - a.y, gray: UInt8((255 * (1 - ink)).rounded())))
      }
    }
    canvas.axes(frame, title: "pen lifts: where each sample's strokes end")
    return canvas
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
