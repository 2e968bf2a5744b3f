import ArgumentParser
import Codegen
import Foundation
import SketchFiles

/// The `sketch` command: train and sample the handwriting model (Graves 2013), work with data.
@main
struct SketchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sketch",
    abstract: "Train and sample the Graves handwriting model with Sketch, a graph compiler for recurrent models.",
    subcommands: [
      Train.self, Sample.self, Write.self, Serve.self, Export.self, Bench.self, MPIBench.self, DataCommand.self, EvalCommand.self,
      DumpGraph.self, DumpC.self,
    ],
    defaultSubcommand: Train.self)

  static func main() {
    HDF5ProcessExit.skipLibraryShutdown()
    main(nil)
  }
}
