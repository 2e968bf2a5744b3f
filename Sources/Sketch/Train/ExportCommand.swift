import ArgumentParser
import Codegen
import Foundation

/// `sketch export`: a trained model without what only training needs (the step rule's state), for
/// writing, sampling and sharing: about a third of a checkpoint's size. A synthesis model's style
/// samples (`styles.json`) go with it.
struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Copy a trained model into a folder without its optimizer state (to write or sample with, or to share).",
    discussion: """
      The folder gets model.h5 (the parameters, the architecture, the data's scale and where training \
      stood) and, for a synthesis model, styles.json (the samples `sketch write --style` primes with). \
      `sketch write`, `sketch sample` and `sketch eval` read it as they read an experiment folder; \
      training can start from it (--model FOLDER) with a fresh optimizer state. An existing model \
      there is replaced only with --overwrite.
      """)

  @Option(help: "The experiment folder or model file to export.") var model: String
  @Option(name: [.customShort("o"), .customLong("output")], help: "The folder to write (created if needed).")
  var output: String
  @Option(help: "Take the style samples from this dataset instead of the run's styles.json (a synthesis model).")
  var stylesFrom: String?
  @Flag(help: "Replace a model already in the output folder.") var overwrite = false

  func run() throws {
    let source = Sample.modelFile(model)
    var contents = try Checkpoint.read(source)
    contents.optimizerState = [:]
    let folder = URL(fileURLWithPath: output)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let target = folder.appendingPathComponent("model.h5").path
    if FileManager.default.fileExists(atPath: target) && !overwrite {
      throw ValidationError("\(target) exists; give --overwrite to replace it, or another --output")
    }
    try Checkpoint.write(contents, to: target)
    let styles = folder.appendingPathComponent(StyleSamples.fileName).path
    if let stylesFrom {
      guard contents.config.synthesis else { throw ValidationError("--styles-from: \(source) is a prediction model") }
      try StyleSamples.write(try StyleSamples.pick(from: StrokeDataset(path: stylesFrom)), to: styles)
    } else {
      let kept = StyleSamples.path(besides: source)
      if let data = FileManager.default.contents(atPath: kept) { try AtomicFile.write(data: Array(data), to: styles) }
    }
    let bytes = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
    print(String(format: "wrote %@ (%.1f MB, step %d)", target, Double(bytes) / 1e6, contents.position.step)
      + (FileManager.default.fileExists(atPath: styles) ? " and \(StyleSamples.fileName)" : ""))
  }
}
