import Foundation
import SketchFiles

/// A labelled plot described once and written twice: as a PNG, its text drawn with the Hershey font
/// futural (Debian's hershey-fonts-data), and as an SVG with real `<text>`. Coordinates are pixels
/// from the top-left corner. Used by loss.png, pen.png and the attention image of `sketch write`.
struct PlotCanvas {
  typealias Point = (x: Double, y: Double)

  /// Where a text's `at` point lies along the text.
  enum Anchor: String {
    /// The text starts at `at`, is centred on it, or ends at it (SVG's `text-anchor` names).
    case start, middle, end
  }

  /// One thing drawn; gray levels are 0 (black) to 255 (white).
  enum Mark {
    /// A line through the points, `width` pixels wide, round caps and joins.
    case polyline([Point], width: Double, gray: UInt8)
    /// A filled disc.
    case dot(Point, radius: Double, gray: UInt8)
    /// A filled rectangle (an edge pixel is covered by the part of it inside the box).
    case box(x: Double, y: Double, width: Double, height: Double, gray: UInt8)
    /// Text whose capitals are `size` pixels high, vertically centred on `at`; `vertical` runs it
    /// upward (a y-axis label).
    case text(String, at: Point, size: Double, anchor: Anchor, vertical: Bool)
  }

  /// The size in pixels.
  let width: Int
  let height: Int
  /// What is drawn, in order.
  private(set) var marks: [Mark] = []

  /// An empty white canvas of `width` x `height` pixels.
  init(width: Int, height: Int) {
    self.width = width
    self.height = height
  }

  /// Adds a mark (drawn after the ones before it).
  mutating func add(_ mark: Mark) { marks.append(mark) }

  /// Adds text (see ``Mark/text(_:at:size:anchor:vertical:)``).
  mutating func text(_ s: String, at: Point, size: Double = 9, anchor: Anchor = .start, vertical: Bool = false) {
    marks.append(.text(s, at: at, size: size, anchor: anchor, vertical: vertical))
  }

  // MARK: Text in the Hershey font

  /// futural's glyphs by character (printable ASCII), or nil when the font is not installed.
  static let font: [Character: JHFGlyph]? = {
    let path = WritingStyle.defaultFontFolder + "/futural.jhf"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8), let glyphs = try? JHFFont.parse(text),
      glyphs.count >= 95
    else {
      FileHandle.standardError.write(
        Data(
          ("note: \(path) is missing (install Debian's hershey-fonts-data, scripts/install-deps.sh): the PNG plots "
            + "have no text; their SVGs do\n").utf8))
      return nil
    }
    return Dictionary(uniqueKeysWithValues: (0..<95).map { (Character(Unicode.Scalar(UInt8(32 + $0))), glyphs[$0]) })
  }()

  /// Font units from futural's capital top (y = -12) to its baseline (y = 9).
  static let capUnits = 21.0

  /// The strokes of `s` laid out from x = 0 on the baseline (y = 0, y downward), capitals `size` high,
  /// and the text's width; a character the font lacks is drawn as `?`.
  static func strokes(_ s: String, size: Double) -> (strokes: [[Point]], width: Double) {
    guard let font else { return ([], 0) }
    let k = size / capUnits
    var x = 0.0
    var out: [[Point]] = []
    for c in s {
      guard let g = font[c] ?? font["?"] else { continue }
      for stroke in g.strokes {
        out.append(stroke.map { (x + Double($0.x - g.left) * k, Double($0.y - 9) * k) })
      }
      x += Double(g.right - g.left) * k
    }
    return (out, x)
  }

  // MARK: Output

  /// The canvas as a grayscale PNG image.
  func png() -> PNGImage {
    var img = PNGImage(width: width, height: height)
    for mark in marks {
      switch mark {
      case .polyline(let points, let w, let gray):
        img.drawPolyline(points, width: w, color: .init(gray: gray))
      case .dot(let p, let r, let gray):
        img.drawPolyline([p], width: 2 * r, color: .init(gray: gray))
      case .box(let x, let y, let w, let h, let gray):
        // Each pixel is covered by the part of it inside the box.
        for py in Swift.max(0, Int(y))..<Swift.min(height, Int((y + h).rounded(.up))) {
          let cy = Swift.min(Double(py + 1), y + h) - Swift.max(Double(py), y)
          for px in Swift.max(0, Int(x))..<Swift.min(width, Int((x + w).rounded(.up))) {
            let cx = Swift.min(Double(px + 1), x + w) - Swift.max(Double(px), x)
            img.blend(x: px, y: py, color: .init(gray: gray), coverage: cx * cy)
          }
        }
      case .text(let s, let at, let size, let anchor, let vertical):
        let (strokes, w) = Self.strokes(s, size: size)
        let shift = anchor == .start ? 0 : anchor == .middle ? -w / 2 : -w
        let lineWidth = Swift.max(1, size / 8)
        for stroke in strokes {
          // (u, v): along the text and down from its baseline; the baseline sits size/2 below `at`.
          let points = stroke.map { p -> Point in
            let (u, v) = (p.x + shift, p.y + size / 2)
            return vertical ? (at.x + v, at.y - u) : (at.x + u, at.y + v)
          }
          img.drawPolyline(points, width: lineWidth)
        }
      }
    }
    return img
  }

  /// The canvas as an SVG document of the same size, its text as `<text>` in a sans-serif font.
  func svg() -> String {
    func n(_ x: Double) -> String { String(format: "%.2f", x) }
    func fill(_ gray: UInt8) -> String { String(format: "#%02x%02x%02x", gray, gray, gray) }
    var out = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)">
      <rect width="100%" height="100%" fill="white"/>

      """
    for mark in marks {
      switch mark {
      case .polyline(let points, let w, let gray):
        let list = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
        out +=
          "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(fill(gray))\" stroke-width=\"\(n(w))\" "
          + "stroke-linecap=\"round\" stroke-linejoin=\"round\"/>\n"
      case .dot(let p, let r, let gray):
        out += "<circle cx=\"\(n(p.x))\" cy=\"\(n(p.y))\" r=\"\(n(r))\" fill=\"\(fill(gray))\"/>\n"
      case .box(let x, let y, let w, let h, let gray):
        out += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"\(fill(gray))\"/>\n"
      case .text(let s, let at, let size, let anchor, let vertical):
        // Capitals are about 0.72 em high in sans-serif fonts.
        let (x, y) = vertical ? (at.x + size / 2, at.y) : (at.x, at.y + size / 2)
        let rotate = vertical ? " transform=\"rotate(-90 \(n(x)) \(n(y)))\"" : ""
        out +=
          "<text x=\"\(n(x))\" y=\"\(n(y))\" font-family=\"sans-serif\" font-size=\"\(n(size / 0.72))\" "
          + "text-anchor=\"\(anchor.rawValue)\"\(rotate)>\(Self.escaped(s))</text>\n"
      }
    }
    return out + "</svg>\n"
  }

  /// `s` with the characters XML reserves escaped.
  static func escaped(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}

/// An axis of a plot: its range, linear or logarithmic (base 10), its ticks and their labels.
struct PlotAxis {
  /// The values at the axis's two ends.
  var lo: Double
  var hi: Double
  /// Whether values are placed by their logarithm.
  var log = false
  /// The axis's title ("batch").
  var label: String
  /// The values where ticks are drawn.
  var ticks: [Double] = []
  /// The text at each tick (by default the tick's value, in as few digits as the step needs).
  var tickLabels: [String] = []

  /// The nice step for about `count` intervals over `span`: 1, 2 or 5 times a power of ten.
  static func niceStep(_ span: Double, count: Int = 5) -> Double {
    let raw = Swift.max(span, 1e-300) / Double(Swift.max(count, 1))
    let power = Foundation.pow(10, (Foundation.log10(raw)).rounded(.down))
    let f = raw / power
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * power
  }

  /// A linear axis over `lo...hi` widened to the nearest multiples of a nice step (at least
  /// `minimumStep`: 1 for counts), ticked at every multiple (an empty or one-point range is widened
  /// around its value).
  static func linear(_ lo: Double, _ hi: Double, label: String, count: Int = 5, minimumStep: Double = 0) -> PlotAxis {
    var (a, b) = (Swift.min(lo, hi), Swift.max(lo, hi))
    if b - a < 1e-12 * Swift.max(1, Swift.abs(a)) {
      (a, b) = (a - Swift.max(1, Swift.abs(a) * 0.1), b + Swift.max(1, Swift.abs(b) * 0.1))
    }
    let step = Swift.max(niceStep(b - a, count: count), minimumStep)
    let (first, last) = ((a / step + 1e-9).rounded(.down), (b / step - 1e-9).rounded(.up))
    let ticks = stride(from: first, through: last, by: 1).map { $0 * step }
    let digits = Swift.max(0, -Int(Foundation.log10(step).rounded(.down)))
    let labels = ticks.map { String(format: "%.\(digits)f", Swift.abs($0) < step * 1e-6 ? 0 : $0) }
    return PlotAxis(lo: first * step, hi: last * step, label: label, ticks: ticks, tickLabels: labels)
  }

  /// A logarithmic axis over `lo...hi` (both > 0) widened to powers of ten, ticked at each.
  static func logarithmic(_ lo: Double, _ hi: Double, label: String) -> PlotAxis {
    let (a, b) = (
      Foundation.log10(lo).rounded(.down),
      Swift.max(Foundation.log10(hi).rounded(.up), Foundation.log10(lo).rounded(.down) + 1)
    )
    let ticks = stride(from: a, through: b, by: 1).map { Foundation.pow(10, $0) }
    return PlotAxis(
      lo: ticks[0], hi: ticks[ticks.count - 1], log: true, label: label, ticks: ticks,
      tickLabels: ticks.map { String(format: "%g", $0) })
  }

  /// The axis of `values` (finite ones): logarithmic when they are all positive and span two decades
  /// or more (largest / smallest >= 100), else linear.
  static func fitting(_ values: [Double], label: String) -> PlotAxis {
    let v = values.filter(\.isFinite)
    guard let lo = v.min(), let hi = v.max() else { return linear(0, 1, label: label) }
    return lo > 0 && hi / lo >= 100 ? logarithmic(lo, hi, label: label) : linear(lo, hi, label: label)
  }

  /// Where `value` lies on the axis: 0 at `lo`, 1 at `hi`.
  func fraction(_ value: Double) -> Double {
    log
      ? (Foundation.log10(value) - Foundation.log10(lo)) / (Foundation.log10(hi) - Foundation.log10(lo))
      : (value - lo) / (hi - lo)
  }
}

/// The plot area of a canvas (pixels) with its two axes.
struct PlotFrame {
  /// The plot area's edges, in pixels.
  var left: Double
  var top: Double
  var right: Double
  var bottom: Double
  /// The horizontal and vertical axes.
  var x: PlotAxis
  var y: PlotAxis
  /// Draws the y axis's lowest value at the bottom (false: at the top, as rows of an image).
  var yUp = true

  /// The pixel of the value (x, y).
  func point(_ vx: Double, _ vy: Double) -> PlotCanvas.Point {
    let fy = y.fraction(vy)
    return (left + x.fraction(vx) * (right - left), yUp ? bottom - fy * (bottom - top) : top + fy * (bottom - top))
  }
}

extension PlotCanvas {
  /// Text size (capital height, pixels) of tick numbers, axis labels and titles.
  static let tickSize = 8.0
  static let labelSize = 9.0
  static let titleSize = 11.0

  /// The frame's box, its ticks with their labels, the axis labels and a title above.
  mutating func axes(_ frame: PlotFrame, title: String? = nil) {
    let (l, t, r, b) = (frame.left, frame.top, frame.right, frame.bottom)
    add(.polyline([(l, t), (l, b), (r, b), (r, t), (l, t)], width: 1, gray: 0))
    for (k, v) in frame.x.ticks.enumerated() {
      let p = frame.point(v, frame.y.lo).x
      add(.polyline([(p, b), (p, b + 4)], width: 1, gray: 0))
      text(frame.x.tickLabels[k], at: (p, b + 6 + Self.tickSize / 2), size: Self.tickSize, anchor: .middle)
    }
    for (k, v) in frame.y.ticks.enumerated() {
      let p = frame.point(frame.x.lo, v).y
      add(.polyline([(l - 4, p), (l, p)], width: 1, gray: 0))
      text(frame.y.tickLabels[k], at: (l - 6, p), size: Self.tickSize, anchor: .end)
    }
    text(frame.x.label, at: ((l + r) / 2, b + 12 + 2 * Self.tickSize), size: Self.labelSize, anchor: .middle)
    let widest = frame.y.tickLabels.map { Self.strokes($0, size: Self.tickSize).width }.max() ?? 0
    let yLabelX = l - 10 - Swift.max(widest, 3 * Self.tickSize) - Self.labelSize
    text(frame.y.label, at: (yLabelX, (t + b) / 2), size: Self.labelSize, anchor: .middle, vertical: true)
    if let title { text(title, at: ((l + r) / 2, t - 8 - Self.titleSize / 2), size: Self.titleSize, anchor: .middle) }
  }

  /// How a legend entry is drawn: a line sample or a dot, in a gray level.
  enum LegendKey {
    case line(width: Double, gray: UInt8)
    case dot(radius: Double, gray: UInt8)
  }

  /// A legend box with its top-right corner at `corner`: one row per entry, the key then the text.
  mutating func legend(_ entries: [(String, LegendKey)], topRight corner: Point) {
    let row = Self.labelSize + 6
    let textWidth = entries.map { Self.strokes($0.0, size: Self.labelSize).width }.max() ?? 0
    let w = 34 + Swift.max(textWidth, Double(entries.map(\.0.count).max() ?? 0) * Self.labelSize * 0.7)
    let (x0, y0) = (corner.x - w, corner.y)
    add(.box(x: x0, y: y0, width: w, height: Double(entries.count) * row + 6, gray: 255))
    add(
      .polyline(
        [
          (x0, y0), (x0 + w, y0), (x0 + w, y0 + Double(entries.count) * row + 6),
          (x0, y0 + Double(entries.count) * row + 6), (x0, y0),
        ], width: 0.8, gray: 0))
    for (k, (label, key)) in entries.enumerated() {
      let y = y0 + 3 + row * (Double(k) + 0.5)
      switch key {
      case .line(let width, let gray): add(.polyline([(x0 + 6, y), (x0 + 24, y)], width: width, gray: gray))
      case .dot(let radius, let gray): add(.dot((x0 + 15, y), radius: radius, gray: gray))
      }
      text(label, at: (x0 + 30, y), size: Self.labelSize)
    }
  }
}
