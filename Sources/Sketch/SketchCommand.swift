import ArgumentParser
import Codegen
import Foundation

/// The `sketch` command: train and sample the handwriting model (Graves 2013), work with data.
@main
struct SketchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sketch",
    abstract: "A static-graph compiler for recurrent models, and the Graves handwriting model.",
    subcommands: [Train.self],
    defaultSubcommand: Train.self)
}

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Train the handwriting model (not implemented yet).")

  func run() throws {
    FileHandle.standardError.write(Data(
      """
      sketch train: the handwriting trainer is not implemented yet.
      What works today is the graph library (define, differentiate, compile and run graphs on the
      interpreter); see README.md. Training, sampling and the dataset come with later issues.

      """.utf8))
    throw ExitCode(2)
  }
}
