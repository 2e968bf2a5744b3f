import ArgumentParser
import Codegen
import Foundation
import SketchFiles

/// `sketch sample`: draw handwriting from a trained model.
struct Sample: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Draw samples from a trained model: sketch.png (a grid), pen.png and sketch.svg.")

  @Option(help: "The experiment folder or model file.") var model: String
  @Option(name: [.customShort("o"), .customLong("output")], help: "Output folder (default: the model's folder).")
  var output: String?
  @Option(help: "Steps (points) per sample.") var steps = 600
  @Option(help: "Samples per side of the grid.") var grid = 8
  @Option(help: "Seed of the draws.") var seed: UInt64 = 0
  @Option(help: "Sampling bias (Graves): sigma = exp(log-sigma - b), weights = softmax(logits * (1 + b)).")
  var bias = 0.0

  func validate() throws {
    if steps < 1 { throw ValidationError("--steps must be at least 1") }
    if grid < 1 { throw ValidationError("--grid must be at least 1") }
    try FlagCheck.finite(bias, "--bias", 0...100, "0 samples the model as trained; larger is neater")
    // Every output must be writable at this size: refused before any sampling (SampleRenderer).
    do { try SampleRenderer.requireDrawable(steps: steps, grid: grid) } catch { throw ValidationError("\(error)") }
  }

  func run() throws {
    try Self.draw(model: model, output: output, steps: steps, grid: grid, seed: seed, bias: bias)
  }

  /// The model file of an experiment folder, or the path itself when it is a file.
  static func modelFile(_ path: String) -> String {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
      return URL(fileURLWithPath: path).appendingPathComponent("model.h5").path
    }
    return path
  }

  static func draw(model: String, output: String?, steps: Int, grid: Int, seed: UInt64, bias: Double) throws {
    let file = modelFile(model)
    let contents = try Checkpoint.read(file)
    guard !contents.config.synthesis else {
      throw ConfigError(
        message: "\(file) is a synthesis model, which writes a given text rather than free samples; "
          + "its training run wrote samples of held-out texts in its folder (sketch.png, samples/)")
    }
    let m = HandwritingModel(config: contents.config, values: contents.parameters)
    let sampler = try compileSampler(model: m, steps: steps, batch: grid * grid)
    let strokes = try sampler(RandomKey(seed: seed).tensor, Tensor(scalar: Float(bias)))[0]
    let dir = URL(fileURLWithPath: output ?? URL(fileURLWithPath: file).deletingLastPathComponent().path)
    try writeSampleFiles(strokes, grid: grid, to: dir)
    print("wrote \(dir.appendingPathComponent("sketch.png").path), pen.png and sketch.svg")
  }
}
