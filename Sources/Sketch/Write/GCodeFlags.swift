import ArgumentParser
import Foundation

/// The G-code settings of a pen plotter: how the pen is lifted and lowered (servo commands or a Z
/// axis), the feed rates and the pen delay. `sketch write --format gcode` and `sketch serve` (for its
/// G-code downloads) take them; ``GCodeWriter`` writes with them.
struct GCodeFlags: ParsableArguments {
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

  /// The flags given, by name (for refusing them where G-code is not written).
  var given: [String] {
    [
      ("--pen-down", penDown != nil), ("--pen-up", penUp != nil), ("--pen-z-up", penZUp != nil),
      ("--pen-z-down", penZDown != nil), ("--feed", feed != nil), ("--travel-feed", travelFeed != nil),
      ("--pen-delay", penDelay != nil), ("--dwell-milliseconds", dwellMilliseconds),
    ].filter(\.1).map(\.0)
  }

  func validate() throws {
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
  }

  /// The writer the flags describe (``GCodeWriter``'s defaults where none is given).
  var writer: GCodeWriter {
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
