import Foundation

/// A letter design of the built-in handwriting dataset: a Hershey font and how a person would write it.
struct WritingStyle: Equatable, Sendable {
  /// The style's name, also the font's file name without `.jhf` (Debian's hershey-fonts-data).
  var name: String
  /// Connected cursive (letters joined, a lowercase letter in one stroke) or print (every letter its own
  /// pen-down strokes, no joins between letters).
  var connected: Bool
  /// Whether the font draws serifs (short horizontal strokes across stems), which a pen-written print
  /// letter has not; they are dropped.
  var dropsSerifs: Bool
  /// A few words for the file's `generator_parameters`.
  var summary: String

  /// The styles `sketch data hershey` knows, in their default order (a file's style ids index its own
  /// `style_names`, which lists the chosen styles in this order unless `--styles` orders them otherwise).
  static let all = [
    WritingStyle(
      name: "scripts", connected: true, dropsSerifs: false, summary: "connected script (single stroke)"),
    WritingStyle(
      name: "scriptc", connected: true, dropsSerifs: false,
      summary: "copperplate (connected; the doubled strokes of its thick parts removed)"),
    WritingStyle(
      name: "futural", connected: false, dropsSerifs: false, summary: "upright print (sans, single stroke)"),
    WritingStyle(
      name: "timesi", connected: false, dropsSerifs: true,
      summary: "italic print (doubled strokes and serifs removed)"),
  ]

  /// The style of the files written before styles existed (one letter design).
  static let legacyName = "scripts"

  /// The folder of Debian's Hershey fonts.
  static let defaultFontFolder = "/usr/share/hershey-fonts"

  /// The font file of this style in `folder`.
  func fontPath(in folder: String) -> String { folder + "/" + name + ".jhf" }

  /// The styles named in a comma-separated list such as `scripts,futural`, in that order; an unknown
  /// or repeated name, or an empty list, is a ``DataError`` that lists the known styles.
  static func parse(_ list: String) throws -> [WritingStyle] {
    let names = list.split(separator: ",", omittingEmptySubsequences: false).map {
      String($0).trimmingCharacters(in: .whitespaces)
    }
    let known = all.map(\.name).joined(separator: ", ")
    var chosen: [WritingStyle] = []
    for name in names {
      guard let style = all.first(where: { $0.name == name }) else {
        throw DataError(
          "--styles", name.isEmpty ? "has an empty style name in '\(list)'" : "unknown style '\(name)'",
          hint: "give a comma-separated list of: \(known)")
      }
      guard !chosen.contains(style) else {
        throw DataError("--styles", "names '\(name)' twice", hint: "give each style once: \(known)")
      }
      chosen.append(style)
    }
    return chosen
  }
}
