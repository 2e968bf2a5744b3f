import Codegen
import Foundation

/// A synthesis model read for writing (by `sketch write` and `sketch serve`): its network, its
/// alphabet, the scale of its training data and the file it came from.
struct WritingModel {
  /// The model file (`model.h5` of an experiment folder, or the file given).
  let file: String
  let network: SynthesisModel
  /// The model's characters; a character's id is its index.
  let alphabet: [Character]
  /// The deviations of dx and dy of the training data (to draw in its units); nil in old files.
  let scale: (x: Double, y: Double)?
  /// The experiment's name, as recorded in the file.
  let experiment: String
}

extension WritingModel {
  /// Reads the model at `path` (an experiment folder or a model file); a prediction model is an error
  /// that says what to train instead.
  init(path: String) throws {
    file = Sample.modelFile(path)
    let contents = try Checkpoint.read(file)
    guard contents.config.synthesis, let codes = contents.config.alphabet else {
      throw WriteError(
        "\(file) is a prediction model: it draws handwriting but cannot write a given text; "
          + "train a synthesis model with `sketch train --synthesis`")
    }
    network = SynthesisModel(config: contents.config, values: contents.parameters)
    alphabet = codes.compactMap { Unicode.Scalar($0).map(Character.init) }
    scale = contents.scale
    experiment = contents.experiment
  }

  /// The styles kept beside the model file (`styles.json`), or an error saying there are none.
  func styles() throws -> StyleSamples { try StyleSamples.load(besides: file) }

  /// A writer of this model, compiled for `mode` (nil: `SKETCH_MODE`, else native).
  func writer(mode: Mode? = nil) throws -> HandwritingWriter {
    try HandwritingWriter(model: network, alphabet: alphabet, mode: mode)
  }

  /// A written line's strokes as absolute polylines in the data's units (model units without a scale).
  func strokes(_ line: HandwritingWriter.Line) -> [[Double]] {
    WritingOutput.strokes(line.offsets, scale: scale ?? (1, 1))
  }
}
