import Foundation

/// G-code for pen plotters and CNC machines holding a pen: millimetres (`G21`), absolute coordinates
/// (`G90`) from the page's bottom-left corner with y upward, `G0` for pen-up travel and `G1` for
/// drawing, the pen raised and lowered by servo commands or by moving Z.
struct GCodeWriter: Equatable {
  /// How the machine lifts and lowers the pen.
  enum Pen: Equatable {
    /// Commands sent as they are (a servo's, e.g. `M3 S30` down and `M5` up).
    case commands(down: String, up: String)
    /// Z heights in millimetres: up with `G0 Z..`, down with `G1 Z.. F..` at the drawing feed.
    case z(up: Double, down: Double)
  }

  /// How the pen is lifted and lowered (default: servo commands `M3 S30` and `M5`).
  var pen = Pen.commands(down: "M3 S30", up: "M5")
  /// The drawing feed rate, in mm per minute (each drawing `G1` run starts with it).
  var feed = 1_000.0
  /// The travel feed rate, in mm per minute, on every `G0` (firmwares that treat `G0` as `G1`, such as
  /// Marlin's, move at it; others move at their rapid rate).
  var travelFeed = 3_000.0
  /// Seconds to wait after each pen lift and lowering (`G4`), so that a servo has settled before the
  /// next move; 0 for none (a Z axis finishes its move before the next one starts).
  var penDelay = 0.0
  /// Whether the firmware reads `G4 P` in milliseconds (Marlin, RepRapFirmware) rather than seconds
  /// (GRBL, LinuxCNC, Smoothieware).
  var dwellInMilliseconds = false

  /// The dwell after a pen command (none without a delay).
  var dwell: [String] {
    penDelay > 0 ? ["G4 P\(number(dwellInMilliseconds ? penDelay * 1_000 : penDelay))"] : []
  }

  /// The lines that lift the pen.
  var penUp: [String] {
    switch pen {
    case .commands(_, let up): return [up] + dwell
    case .z(let up, _): return ["G0 Z\(number(up))"] + dwell
    }
  }

  /// The lines that lower the pen.
  var penDown: [String] {
    switch pen {
    case .commands(let down, _): return [down] + dwell
    case .z(_, let down): return ["G1 Z\(number(down)) F\(number(feed))"] + dwell
    }
  }

  /// The program drawing `strokes` (millimetres, y downward on the page) in their order on `page`: a
  /// header, the pen lifted, then for each stroke a travel to its start, pen down, its points, pen up.
  func gcode(_ strokes: [[PagePoint]], page: PlotterPage) -> String {
    var out = [
      "; sketch write: \(strokes.count) strokes on a \(number(page.width)) x \(number(page.height)) mm page",
      "; origin at the page's bottom-left corner, y upward",
      "G21 ; millimetres", "G90 ; absolute coordinates",
    ]
    out += penUp
    for s in strokes where !s.isEmpty {
      out.append("G0 " + xy(s[0], page) + " F\(number(travelFeed))")
      out += penDown
      for (k, p) in s.dropFirst().enumerated() { out.append("G1 " + xy(p, page) + (k == 0 ? " F\(number(feed))" : "")) }
      out += penUp
    }
    return out.joined(separator: "\n") + "\n"
  }

  /// `X.. Y..` of `p` in machine coordinates (y upward from the page's bottom).
  private func xy(_ p: PagePoint, _ page: PlotterPage) -> String { "X\(number(p.x)) Y\(number(page.height - p.y))" }

  private func number(_ x: Double) -> String {
    var s = String(format: "%.3f", x)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s == "-0" ? "0" : s
  }
}
