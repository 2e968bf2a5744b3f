import Foundation
import SketchFiles

/// What `sketch write --format` makes: today's PNG, SVG and attention image, or one file for a pen
/// plotter.
enum WritingFormat: String, CaseIterable {
  case pngSVG = "png-svg"
  case svgPlotter = "svg-plotter"
  case gcode
  case hpgl

  /// The extension of the plotter file (nil for png-svg, which writes several files).
  var plotterExtension: String? {
    switch self {
    case .pngSVG: return nil
    case .svgPlotter: return "svg"
    case .gcode: return "gcode"
    case .hpgl: return "hpgl"
    }
  }
}

/// One plotter file of written lines: the strokes placed on the page, ordered for short pen-up travel,
/// written in a plotter format.
struct PlotterOutput {
  /// The strokes in drawing order, in millimetres on the page.
  let strokes: [[PagePoint]]
  /// The pen-up travel (mm) in the writing's own order and in the drawing order.
  let travelBefore: Double
  let travelAfter: Double

  /// Places `lines` (strokes in data units, one entry per line of writing) on `page` and orders them.
  init(lines: [[[Double]]], page: PlotterPage) throws {
    self.init(placed: try page.place(lines), home: page.home)
  }

  /// Orders strokes already placed on a page (millimetres, one entry per line of writing, in reading
  /// order), for a pen starting at `home`.
  init(placed: [[[PagePoint]]], home: PagePoint) {
    strokes = StrokeOrder.order(placed, from: home)
    travelBefore = StrokeOrder.travel(placed.flatMap { $0 }, from: home)
    travelAfter = StrokeOrder.travel(strokes, from: home)
  }

  /// The file's text in `format` (a plotter format).
  func text(_ format: WritingFormat, page: PlotterPage, gcode: GCodeWriter) -> String {
    switch format {
    case .pngSVG, .svgPlotter: return PlotterSVGWriter.svg(strokes, page: page)
    case .gcode: return gcode.gcode(strokes, page: page)
    case .hpgl: return HPGLWriter.hpgl(strokes, page: page)
    }
  }

  /// The report line of the pen-up travel before and after ordering.
  var travelReport: String {
    String(
      format: "pen-up travel: %.1f mm in the writing's order, %.1f mm as plotted (%d strokes, nearest-neighbour order)",
      travelBefore, travelAfter, strokes.count)
  }
}
