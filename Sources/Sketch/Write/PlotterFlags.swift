import ArgumentParser
import Foundation

extension WritingFormat: ExpressibleByArgument {}

/// A number of millimetres for help texts (no trailing zeros).
private func mm(_ x: Double) -> String { String(format: "%g", x) }

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
  @Option(help: "G-code that lowers the pen (servo style). (default: \(GCodeWriter().penDown[0]))") var penDown: String?
  @Option(help: "G-code that lifts the pen (servo style). (default: \(GCodeWriter().penUp[0]))") var penUp: String?
  // Z heights are often negative (the surface at Z = 0): the value may start with a dash.
  @Option(
    parsing: .unconditional, help: "Z height in mm with the pen up (with --pen-z-down, instead of servo commands).")
  var penZUp: Double?
  @Option(parsing: .unconditional, help: "Z height in mm with the pen down (with --pen-z-up).") var penZDown: Double?
  @Option(help: "Drawing feed rate in mm/min (G-code). (default: \(mm(GCodeWriter().feed)))") var feed: Double?
  @Option(help: "Travel feed rate in mm/min (G-code, on G0). (default: \(mm(GCodeWriter().travelFeed)))")
  var travelFeed: Double?
  @Option(help: "Seconds to wait (G4) after each pen lift and lowering, for a servo to settle (G-code). (default: 0)")
  var penDelay: Double?
  @Flag(help: "Write the pen delay's G4 P in milliseconds (Marlin, RepRapFirmware) instead of seconds (GRBL, LinuxCNC).")
  var dwellMilliseconds = false

  func validate() throws {
    let pageFlags: [(String, Double?)] = [
      ("--page-width", pageWidth), ("--page-height", pageHeight), ("--margin", margin), ("--line-height", lineHeight),
    ]
    let gcodeFlags: [(String, Bool)] = [
      ("--pen-down", penDown != nil), ("--pen-up", penUp != nil), ("--pen-z-up", penZUp != nil),
      ("--pen-z-down", penZDown != nil), ("--feed", feed != nil), ("--travel-feed", travelFeed != nil),
      ("--pen-delay", penDelay != nil), ("--dwell-milliseconds", dwellMilliseconds),
    ]
    if format != .gcode, let given = gcodeFlags.first(where: \.1) {
      throw ValidationError("\(given.0) applies to G-code only; add --format gcode")
    }
    for (flag, value) in pageFlags.dropLast() {
      if let value { try FlagCheck.finite(value, flag, 0...10_000, "millimetres") }
    }
    if let lineHeight { try FlagCheck.finite(lineHeight, "--line-height", 0...10_000, aboveLower: true, "millimetres") }
    for (flag, value) in [("--feed", feed), ("--travel-feed", travelFeed)] {
      if let value { try FlagCheck.finite(value, flag, 0...1e6, aboveLower: true, "mm per minute") }
    }
    if let penDelay { try FlagCheck.finite(penDelay, "--pen-delay", 0...60, "seconds") }
    if dwellMilliseconds && (penDelay ?? 0) == 0 {
      throw ValidationError("--dwell-milliseconds applies to a pen delay; add --pen-delay SECONDS")
    }
    for (flag, value) in [("--pen-z-up", penZUp), ("--pen-z-down", penZDown)] {
      if let value { try FlagCheck.finite(value, flag, -10_000...10_000, "millimetres") }
    }
    if (penZUp == nil) != (penZDown == nil) { throw ValidationError("give --pen-z-up and --pen-z-down together") }
    if penZUp != nil && (penDown != nil || penUp != nil) {
      throw ValidationError("give --pen-z-up/--pen-z-down (a Z axis) or --pen-down/--pen-up (servo commands), not both")
    }
    if let up = penZUp, let down = penZDown, up <= down {
      throw ValidationError("--pen-z-up (\(up)) must be above --pen-z-down (\(down))")
    }
    for (flag, value) in [("--pen-down", penDown), ("--pen-up", penUp)] {
      if let value, value.trimmingCharacters(in: .whitespaces).isEmpty || value.contains("\n") {
        throw ValidationError("\(flag) must be one line of G-code, such as \"M3 S30\" or \"M5\"")
      }
    }
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
  var gcode: GCodeWriter {
    var writer = GCodeWriter()
    if let up = penZUp, let down = penZDown {
      writer.pen = .z(up: up, down: down)
    } else if case .commands(let down, let up) = writer.pen {
      writer.pen = .commands(down: penDown ?? down, up: penUp ?? up)
    }
    writer.feed = feed ?? writer.feed
    writer.travelFeed = travelFeed ?? writer.travelFeed
    writer.penDelay = penDelay ?? writer.penDelay
    writer.dwellInMilliseconds = dwellMilliseconds
    return writer
  }
}
