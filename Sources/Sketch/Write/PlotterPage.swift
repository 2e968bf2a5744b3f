import Foundation

/// A point on a plotter page, in millimetres from the page's top-left corner (y downward, as in SVG).
typealias PagePoint = PlanePoint

/// A page for a pen plotter, and the placing of written lines on it: one common scale for all lines,
/// the first line at the top margin, each line's ink starting at the left margin.
struct PlotterPage: Equatable {
  /// The page's width and height and the margin kept free on every side, in millimetres.
  var width = 210.0
  var height = 297.0
  var margin = 15.0
  /// The height of one line of writing in millimetres (the tallest line's ink is scaled to it; lines
  /// are ``lineSpacing`` times it apart); nil scales the widest line to the width between the margins
  /// (and everything down to the page's height when the lines would not fit).
  var lineHeight: Double? = nil

  /// Lines are this many times the tallest line's height apart (baseline to baseline).
  static let lineSpacing = 1.2

  /// The width and height between the margins.
  var usable: (width: Double, height: Double) { (width - 2 * margin, height - 2 * margin) }

  /// The plotter's home (the machine origin, where the pen starts): the page's bottom-left corner.
  var home: PagePoint { PagePoint(0, height) }

  /// A page too small for its margins, or writing that does not fit on it, with how to fix it.
  struct Misfit: Error, CustomStringConvertible {
    let description: String
  }

  /// Throws unless the page is larger than its margins.
  func validate() throws {
    guard usable.width > 0, usable.height > 0 else {
      throw Misfit(
        description: "a \(mm(width)) x \(mm(height)) mm page has no room inside \(mm(margin)) mm margins; "
          + "give a smaller --margin or a larger --page-width/--page-height")
    }
  }

  /// The strokes of `lines` (each stroke x, y interleaved, in data units, y downward; one entry per
  /// line of writing) on the page in millimetres, line by line and in their order within each line.
  func place(_ lines: [[[Double]]]) throws -> [[[PagePoint]]] {
    try validate()
    var boxes: [(minX: Double, maxX: Double, minY: Double, maxY: Double)] = []
    for line in lines {
      let xs = line.flatMap { s in stride(from: 0, to: s.count, by: 2).map { s[$0] } }
      let ys = line.flatMap { s in stride(from: 1, to: s.count, by: 2).map { s[$0] } }
      boxes.append((xs.min() ?? 0, xs.max() ?? 0, ys.min() ?? 0, ys.max() ?? 0))
    }
    let inkWidth = Swift.max(boxes.map { $0.maxX - $0.minX }.max() ?? 0, 1e-9)
    let inkHeight = Swift.max(boxes.map { $0.maxY - $0.minY }.max() ?? 0, 1e-9)
    // The writing's total height, in units of one line's ink height: n - 1 line pitches plus one line.
    let rows = Double(Swift.max(lines.count, 1) - 1) * Self.lineSpacing + 1
    let scale: Double
    if let lineHeight {
      scale = lineHeight / inkHeight
      let (w, h) = (inkWidth * scale, inkHeight * scale * rows)
      guard w <= usable.width + 1e-9, h <= usable.height + 1e-9 else {
        throw Misfit(
          description: "at --line-height \(mm(lineHeight)) the writing is \(mm(w)) x \(mm(h)) mm, and the page "
            + "holds \(mm(usable.width)) x \(mm(usable.height)) mm inside its margins; give a smaller --line-height, "
            + "fewer lines, or a larger page")
      }
    } else {
      scale = Swift.min(usable.width / inkWidth, usable.height / (inkHeight * rows))
    }
    return zip(lines, boxes).enumerated().map { k, pair in
      let (line, box) = pair
      let top = margin + Double(k) * Self.lineSpacing * inkHeight * scale
      return line.map { s in
        stride(from: 0, to: s.count - 1, by: 2).map {
          PagePoint(margin + (s[$0] - box.minX) * scale, top + (s[$0 + 1] - box.minY) * scale)
        }
      }.filter { !$0.isEmpty }
    }
  }

  private func mm(_ x: Double) -> String { String(format: "%g", (x * 10).rounded() / 10) }
}
