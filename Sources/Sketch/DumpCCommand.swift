import ArgumentParser
import Codegen
import Foundation

/// `sketch dump-c`: writes the C that the native backend generates for a model's training (or
/// sampling) function.
struct DumpC: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dump-c",
    abstract: "Write the generated C of the training (or sampling) function for the model flags of `sketch train`.",
    discussion: "SKETCH_PRINT_C=1 prints every source as it is compiled, for any program.")

  @OptionGroup var model: ModelFlags
  @Flag(help: "The sampling function instead of the training step.") var sampling = false
  @Option(name: .customLong("max-length"), help: "Sampler steps (with --sampling).") var maxLength = 600
  @Option(name: [.customLong("bs"), .customLong("batch-size")], help: "Sampler batch (with --sampling).")
  var batchSize = 64
  @Option(name: [.customShort("o"), .customLong("output")], help: "Write to this file instead of standard output.")
  var output: String?

  func validate() throws {
    do { try model.config.validate() } catch { throw ValidationError("\(error)") }
  }

  func run() throws {
    let (graph, _) = try model.graph(sampling: sampling, batchSize: batchSize, maxLength: maxLength)
    let (optimized, _) = try optimize(graph, options: .default)
    let source = try generatedC(for: optimized)
    if let output {
      try AtomicFile.write(data: Array(source.utf8), to: output)
      print("wrote \(output) (\(source.split(separator: "\n").count) lines)")
    } else {
      print(source, terminator: "")
    }
  }
}
