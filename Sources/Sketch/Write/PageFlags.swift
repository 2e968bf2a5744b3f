import ArgumentParser
import Foundation

extension PageLayout.Alignment: ExpressibleByArgument {}

/// The flags of `sketch write --file`: whole pages of text, word-wrapped, in paragraphs, aligned,
/// with drift (docs/writing.md, "Pages"). The page itself is ``PlotterFlags``' (`--page-width`,
/// `--page-height`, `--margin`, `--line-height`), for every format.
struct PageFlags: ParsableArguments {
  @Option(help: "A text file to write on pages: paragraphs separated by blank lines, wrapped to the page.")
  var file: String?
  @Option(help: "Baseline to baseline, in line heights (--file). (default: \(PageSettings().lineSpacing))")
  var lineSpacing: Double?
  @Option(
    help: "Extra space before a paragraph, in line heights (--file). (default: \(PageSettings().paragraphSpacing))")
  var paragraphSpacing: Double?
  @Option(help: "Indent of a paragraph's first line in mm (--file). (default: 0)") var indent: Double?
  @Option(help: "How lines sit between the margins (--file). (default: left)") var align: PageLayout.Alignment?
  @Option(
    help: "Drift of baseline and slant from line to line, 0 (off) to 5 (--file; 1: within ±1 mm and ±2°). (default: 1)")
  var drift: Double?
  @Option(
    help:
      "The most characters the model writes in one piece; longer lines go in pieces (--file). (default: \(PageSettings.defaultMaxCharacters))"
  )
  var lineCharacters: Int?
  @Option(help: "Pixels per inch of the page PNGs (--file, png-svg). (default: \(Int(PageOutput.defaultDPI)))")
  var dpi: Double?

  /// The flags given that only apply to --file.
  private var pageOnly: [String] {
    [
      ("--line-spacing", lineSpacing != nil), ("--paragraph-spacing", paragraphSpacing != nil),
      ("--indent", indent != nil), ("--align", align != nil), ("--drift", drift != nil),
      ("--line-characters", lineCharacters != nil), ("--dpi", dpi != nil),
    ].filter(\.1).map(\.0)
  }

  func validate() throws {
    if let lineSpacing { try FlagCheck.finite(lineSpacing, "--line-spacing", 0.5...10, "line heights") }
    if let paragraphSpacing { try FlagCheck.finite(paragraphSpacing, "--paragraph-spacing", 0...20, "line heights") }
    if let indent { try FlagCheck.finite(indent, "--indent", 0...10_000, "millimetres") }
    if let drift { try FlagCheck.finite(drift, "--drift", 0...PageDrift.maxAmount, "0 turns it off") }
    if let dpi { try FlagCheck.finite(dpi, "--dpi", 10...1200, "pixels per inch") }
    if let lineCharacters, !(5...200).contains(lineCharacters) {
      throw ValidationError("--line-characters must be in [5, 200], got \(lineCharacters)")
    }
  }

  /// The checks across `sketch write`'s flags: one source of text (TEXT, --lines or --file); the page
  /// flags with a plotter format or --file; one style for pages; a layout that has room.
  func validate(text: String?, lines: String?, style: String?, plotter: PlotterFlags) throws {
    let sources = [text != nil, lines != nil, file != nil].filter { $0 }.count
    guard sources == 1 else {
      throw ValidationError("give the text to write, --lines FILE or --file FILE (one of them)")
    }
    guard file != nil else {
      if let given = pageOnly.first { throw ValidationError("\(given) applies to pages; add --file FILE") }
      try plotter.refusePageFlagsWithoutPlotter()
      return
    }
    if let style, style == "all" || style.contains(",") {
      throw ValidationError("--file writes pages in one style; give one --style NAME, not \(style)")
    }
    if dpi != nil && plotter.format != .pngSVG {
      throw ValidationError("--dpi applies to the PNG pages of --format png-svg")
    }
    let settings = settings(plotter: plotter, seed: 0)
    do { try settings.page.validate() } catch { throw ValidationError("\(error)") }
    let (width, height) = settings.page.usable
    if settings.lineHeight > height {
      throw ValidationError(
        "--line-height \(PageLayout.mm(settings.lineHeight)) mm is more than the \(PageLayout.mm(height)) mm "
          + "between the top and bottom margins")
    }
    if settings.indent >= width {
      throw ValidationError(
        "--indent \(PageLayout.mm(settings.indent)) mm leaves no room on a line \(PageLayout.mm(width)) mm wide")
    }
  }

  /// The layout the flags describe on `plotter`'s page, drifting with `seed`.
  func settings(plotter: PlotterFlags, seed: UInt64) -> PageSettings {
    var s = PageSettings()
    s.page = plotter.page
    s.lineHeight = plotter.lineHeight ?? PageSettings.defaultLineHeight
    s.lineSpacing = lineSpacing ?? s.lineSpacing
    s.paragraphSpacing = paragraphSpacing ?? s.paragraphSpacing
    s.indent = indent ?? s.indent
    s.alignment = align ?? s.alignment
    s.drift = PageDrift(amount: drift ?? 1, seed: seed)
    s.maxCharacters = lineCharacters ?? s.maxCharacters
    return s
  }

  /// The text of --file as blocks of words (``PageLayout/paragraphs(_:)``); an error for a file that cannot be read, is not UTF-8
  /// or has no words.
  static func paragraphs(file: String) throws -> [PageLayout.Block] {
    let bytes: Data
    do { bytes = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
      throw ValidationError("--file \(file): cannot read it (\(error.localizedDescription))")
    }
    guard let text = String(validating: [UInt8](bytes), as: UTF8.self) else {
      throw ValidationError("--file \(file): not UTF-8 text; save it as UTF-8")
    }
    let paragraphs = PageLayout.paragraphs(text)
    guard !paragraphs.isEmpty else { throw ValidationError("--file \(file) has no text") }
    return paragraphs
  }
}
