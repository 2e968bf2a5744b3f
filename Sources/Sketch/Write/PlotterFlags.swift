import ArgumentParser
import Foundation

extension WritingFormat: ExpressibleByArgument {}

/// A number of millimetres (or mm per minute) for help texts (no trailing zeros).
func mm(_ x: Double) -> String { String(format: "%g", x) }

/// The flags of `sketch write` for plotter output: the format, the page in millimetres, and the
/// G-code pen and feed settings. Each applies only to the formats that use it; giving one to another
/// format is a usage error.
struct PlotterFlags: ParsableArguments {
  @Option(help: "Output: png-svg (PNG, SVG, attention PNG), svg-plotter (SVG in mm), gcode or hpgl.")
  var format = WritingFormat.pngSVG
  @Option(help: "Page width in mm (plotter formats, --file). (default: \(mm(PlotterPage().width)))") var pageWidth:
    Double?
  @Option(help: "Page height in mm (plotter formats, --file). (default: \(mm(PlotterPage().height)))") var pageHeight:
    Double?
  @Option(help: "Margin on every side in mm (plotter formats, --file). (default: \(mm(PlotterPage().margin)))")
  var margin: Double?
  @Option(help: "Height of one line of writing in mm (default: the widest line fills the width; --file: 8).")
  var lineHeight: Double?
  /// The G-code settings (`--pen-down`, `--feed`, ...; shared with `sketch serve`).
  @OptionGroup var gcodeFlags: GCodeFlags

  func validate() throws {
    let pageFlags: [(String, Double?)] = [
      ("--page-width", pageWidth), ("--page-height", pageHeight), ("--margin", margin), ("--line-height", lineHeight),
    ]
    if format != .gcode, let given = gcodeFlags.given.first {
      throw ValidationError("\(given) applies to G-code only; add --format gcode")
    }
    for (flag, value) in pageFlags.dropLast() {
      if let value { try FlagCheck.finite(value, flag, 0...10_000, "millimetres") }
    }
    if let lineHeight { try FlagCheck.finite(lineHeight, "--line-height", 0...10_000, aboveLower: true, "millimetres") }
    do { try page.validate() } catch { throw ValidationError("\(error)") }
  }

  /// Refuses a page flag with png-svg, whose images are not pages (unless `sketch write --file` makes
  /// pages: ``PageFlags/validate(text:lines:style:plotter:)`` calls this without it).
  func refusePageFlagsWithoutPlotter() throws {
    let given = [
      ("--page-width", pageWidth), ("--page-height", pageHeight), ("--margin", margin), ("--line-height", lineHeight),
    ]
    if format == .pngSVG, let flag = given.first(where: { $0.1 != nil }) {
      throw ValidationError(
        "\(flag.0) applies to the plotter formats and to --file; add --format svg-plotter, gcode or hpgl, or --file")
    }
  }

  /// The page the flags describe (A4 portrait with 15 mm margins by default).
  var page: PlotterPage {
    let a4 = PlotterPage()
    return PlotterPage(
      width: pageWidth ?? a4.width, height: pageHeight ?? a4.height, margin: margin ?? a4.margin, lineHeight: lineHeight
    )
  }

  /// The G-code settings the flags describe.
  var gcode: GCodeWriter { gcodeFlags.writer }
}
