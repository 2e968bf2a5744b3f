import Foundation

/// HPGL for pen plotters: `IN;SP1;`, then for each stroke `PU x,y;` to its start and `PD x,y,...;`
/// through its points, then `PU;SP0;`. Coordinates are plotter units of 0.025 mm from the page's
/// bottom-left corner, y upward (HPGL's own axes).
enum HPGLWriter {
  /// Plotter units per millimetre (0.025 mm a unit).
  static let unitsPerMillimetre = 40.0

  /// `p` in plotter units, y upward from the bottom of `page`.
  static func units(_ p: PagePoint, page: PlotterPage) -> (x: Int, y: Int) {
    (Int((p.x * unitsPerMillimetre).rounded()), Int(((page.height - p.y) * unitsPerMillimetre).rounded()))
  }

  /// The program drawing `strokes` (millimetres, y downward) in their order on `page`.
  static func hpgl(_ strokes: [[PagePoint]], page: PlotterPage) -> String {
    var out = "IN;SP1;\n"
    for s in strokes where !s.isEmpty {
      let start = units(s[0], page: page)
      // A one-point stroke (a dot): the pen goes down where it is.
      let rest = (s.count == 1 ? s : Array(s.dropFirst())).map { units($0, page: page) }
      out += "PU\(start.x),\(start.y);PD" + rest.map { "\($0.x),\($0.y)" }.joined(separator: ",") + ";\n"
    }
    return out + "PU;SP0;\n"
  }
}
