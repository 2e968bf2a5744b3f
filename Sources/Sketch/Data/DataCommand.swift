import ArgumentParser
import Codegen
import Foundation
import SketchFiles

/// `sketch data`: import, generate and inspect stroke datasets.
struct DataCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data",
    abstract: "Import, generate and inspect handwriting (stroke) datasets.",
    discussion: """
      Datasets are HDF5 files in the layout of the original project (docs/data.md). Without a dataset, \
      training uses the built-in one, generated on first use in \(DataFolder.path()).
      """,
    subcommands: [IAMCommand.self, HersheyCommand.self, SVGCommand.self, ShowCommand.self])
}

/// The command line as typed, stored in the files it writes.
func commandLineText() -> String {
  (["sketch"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
}

struct IAMCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "iam",
    abstract: "Import the IAM On-Line Handwriting Database (IAM-OnDB).",
    discussion: """
      PATH is lineStrokes-all.tar.gz (from the IAM-OnDB download page, after registering) or the folder \
      it unpacks to. Every lineStrokes XML file becomes one line; malformed files are reported and \
      skipped. Lines are normalised by the standard deviation of their offsets, shuffled with --seed and \
      split 90/10 into train and test.
      """)

  @Argument(help: "lineStrokes-all.tar.gz or its extracted folder.")
  var path: String

  @Option(name: .shortAndLong, help: "The dataset file to write.")
  var output: String

  @Option(help: "ascii-all.tar.gz or its folder, for the transcriptions (the CSR section).")
  var ascii: String?

  @Option(help: "Drop lines with more rows than this (0: keep all).")
  var maxPoints = 1200

  @Option(help: "Seed of the shuffle before the train/test split.")
  var seed = 0

  func run() throws {
    let summary = try IAMImporter(
      input: path, output: output, ascii: ascii, maxPoints: maxPoints, seed: seed,
      commandLine: commandLineText()
    ).run()
    print(summary.report(output: output, kind: "lines"))
  }
}

struct HersheyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hershey",
    abstract: "Generate the built-in handwriting dataset from the Hershey fonts and WordNet.",
    discussion: """
      Writes lines of handwriting in several styles, each a Hershey font (Debian hershey-fonts-data): \
      connected script (scripts), copperplate (scriptc), upright print (futural) and italic print \
      (timesi), with the text of WordNet's usage examples (Debian wordnet-base), varied per line and per \
      letter like a person's writing and sampled like a digitiser (docs/data.md). The lines are shared \
      evenly among the styles; each line's style is stored. Deterministic for a seed.
      """)

  @Option(name: .shortAndLong, help: "The dataset file to write.")
  var output: String

  @Option(help: "Number of lines.")
  var lines = 6000

  @Option(help: "Seed of the generator (and of the train/test shuffle).")
  var seed = 0

  @Option(help: "Replace lines with more rows than this (0: keep all).")
  var maxPoints = 1200

  @Option(help: "Also write every line as IAM-OnDB lineStrokes XML and ascii files under this folder.")
  var xml: String?

  @Option(help: "The writing styles, comma-separated: scripts, scriptc, futural, timesi (default: all four).")
  var styles = WritingStyle.all.map(\.name).joined(separator: ",")

  @Option(help: "The folder of the Hershey fonts (STYLE.jhf for each style).")
  var fonts = WritingStyle.defaultFontFolder

  @Option(help: "The folder of WordNet's data.noun/verb/adj/adv.")
  var wordnet = HersheyText.defaultWordNetFolder

  func run() throws {
    var generator = HersheyGenerator()
    generator.lines = lines
    generator.seed = seed
    generator.maxPoints = maxPoints
    generator.styles = try WritingStyle.parse(styles)
    generator.fontFolder = fonts
    generator.wordNetFolder = wordnet
    generator.commandLine = commandLineText()
    let start = Date()
    let summary = try generator.run(output: output, xmlFolder: xml)
    print(summary.report(output: output, kind: "generated lines"))
    print(
      String(
        format: "%.1f s, %.1f ms per line", Date().timeIntervalSince(start),
        1000 * Date().timeIntervalSince(start) / Double(max(1, lines))))
    if let xml { print("wrote IAM-OnDB style files under \(xml) (lineStrokes/, ascii/, NOTICE.txt)") }
  }
}

struct SVGCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "svg",
    abstract: "Import drawings stored as SVG files (one sequence per file).",
    discussion: """
      Reads every .svg file under DIR: <path> elements (M, L, H, V, C, S, Q, T, Z, absolute and relative), \
      <polyline>, <polygon>, <line>, <rect>, <circle> and <ellipse>, with their transforms. Curves are flattened to points within \
      --tolerance of the curve (in SVG user units). Each subpath is one stroke; each file one sequence.
      """)

  @Argument(help: "A folder of .svg files (searched recursively).")
  var directory: String

  @Option(name: .shortAndLong, help: "The dataset file to write.")
  var output: String

  @Option(help: "Largest distance between a curve and its flattened points, in SVG user units.")
  var tolerance = 0.5

  @Option(help: "Drop drawings with more rows than this (0: keep all).")
  var maxPoints = 0

  @Option(help: "Seed of the shuffle before the train/test split.")
  var seed = 0

  func run() throws {
    let summary = try SVGImporter(
      input: directory, output: output, tolerance: tolerance, maxPoints: maxPoints, seed: seed,
      commandLine: commandLineText()
    ).run()
    print(summary.report(output: output, kind: "drawings"))
  }
}
