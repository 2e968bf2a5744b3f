import Codegen
import Foundation

/// Everything `sketch train` was asked to do, saved in the model file (JSON) for `--model continue`.
struct TrainingSettings: Codable, Equatable {
  var name = "handwriting"
  var epochs = 500
  var batchSize = 56
  var learningRate = 1e-4
  var maxLength = 600
  var maxGrad = 10.0
  var stepMethod = StepMethod.adam
  var seed: UInt64 = 0
  /// The dataset file (an absolute path; runs made before 2026-12 may hold a relative one).
  var data = ""
  /// The dataset's identity when the run started (nil in older model files).
  var dataIdentity: DatasetIdentity? = nil
  /// Stop after this many batches in total (quick runs); nil: run every epoch.
  var maxBatches: Int? = nil
  /// Evaluate the test split every this many batches (and after each epoch).
  var testEvery = 100
  /// Draw samples every this many batches (and at the end).
  var sampleEvery = 100
  /// Save the model every this many batches (and at the end of each epoch).
  var saveEvery = 100
  /// Test batches used per evaluation (nil: the whole test split).
  var testBatches: Int? = nil
  /// The thread count of the native code and OpenBLAS (results are bit-identical for a seed and a
  /// thread count); nil in older model files.
  var threads: Int? = nil
  /// Graves' derivative clipping (`--derivative-clipping`); nil in older model files (off).
  var derivativeClipping: Bool? = nil

  /// Whether the training graph clips derivatives (Graves).
  var clipsDerivatives: Bool { derivativeClipping ?? false }

  func json() -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return String(decoding: try! e.encode(self), as: UTF8.self)
  }

  static func fromJSON(_ s: String) throws -> TrainingSettings {
    try JSONDecoder().decode(TrainingSettings.self, from: Data(s.utf8))
  }
}

/// One training or test batch: time-major strokes [T+1, B, 3] and a mask [T, B] of valid prediction steps;
/// for the synthesis network also the texts, `chars` [B, U] int32 and `cmask` [B, U] float32.
struct StrokeBatch {
  var strokes: Tensor
  var mask: Tensor
  /// The lines' character ids [B, U] (int32; synthesis only).
  var chars: Tensor? = nil
  /// 1 for a real character, 0 for padding [B, U] (float32; synthesis only).
  var cmask: Tensor? = nil
}

/// The batches of one epoch, loaded when asked for (the dataset is streamed, not held in memory).
struct EpochBatches {
  let count: Int
  let load: (Int) throws -> StrokeBatch

  init(count: Int, load: @escaping (Int) throws -> StrokeBatch) {
    self.count = count
    self.load = load
  }

  init(_ batches: [StrokeBatch]) {
    self.init(count: batches.count) { batches[$0] }
  }
}

/// Where batches come from (the dataset loader, or a fixed set in tests).
protocol BatchSource {
  /// The training batches of an epoch, in order; deterministic for (seed, epoch).
  func trainBatches(epoch: Int) throws -> EpochBatches
  /// The test batches, in a fixed order.
  func testBatches() throws -> [StrokeBatch]
  /// The standard deviations that the offsets were divided by (to draw samples in data units).
  var scale: (x: Double, y: Double) { get }
  /// Held-out texts for the synthesis network to write at the sampling intervals (the first test
  /// lines' transcriptions); empty for the prediction network.
  var sampleTexts: [String] { get }
}

extension BatchSource {
  /// No texts (the prediction network's sources).
  var sampleTexts: [String] { [] }
}
