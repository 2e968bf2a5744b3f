import Codegen
import Foundation

/// The dataset file used when the user names none: the built-in dataset, made on first use in the
/// per-user data folder.
func defaultDatasetPath() throws -> String {
  try BuiltinDataset.ensure()
}

/// Batches of a dataset file for training: length-bucketed, reshuffled each epoch (deterministic for
/// the seed), streamed from the file; with an alphabet (the synthesis network), with the lines' texts.
struct DatasetBatches: BatchSource {
  let train: BatchLoader
  let test: BatchLoader?
  let scale: (x: Double, y: Double)
  /// The lines' texts as character ids (synthesis runs); nil for the prediction network.
  let text: TextBatches?
  /// The first test lines' transcriptions (else the first training lines'), for synthesis samples.
  let sampleTexts: [String]

  /// How many held-out texts a synthesis run writes at each sampling interval.
  static let sampleTextCount = 8

  init(path: String, batchSize: Int, maxLength: Int, seed: UInt64, alphabet: Alphabet? = nil) throws {
    let dataset = try StrokeDataset(path: path)
    train = try BatchLoader(dataset: dataset, split: .train, batchSize: batchSize, maxLength: maxLength, seed: seed)
    test =
      dataset.range(.test).isEmpty
      ? nil : try BatchLoader(dataset: dataset, split: .test, batchSize: batchSize, maxLength: maxLength, seed: seed)
    scale = dataset.std ?? (1, 1)
    if let alphabet {
      let texts = try synthesisTranscriptions(dataset)
      text = try TextBatches(transcriptions: texts, alphabet: alphabet, path: path)
      let held = dataset.range(.test).isEmpty ? dataset.range(.train) : dataset.range(.test)
      sampleTexts = held.map { texts[$0] }.filter { !$0.isEmpty }.prefix(Self.sampleTextCount).map { $0 }
    } else {
      (text, sampleTexts) = (nil, [])
    }
  }

  func trainBatches(epoch: Int) throws -> EpochBatches {
    let schedule = train.schedule(epoch: epoch)
    return EpochBatches(count: schedule.count) { [train, text] in
      Self.convert(try train.batch(schedule[$0]), text)
    }
  }

  func testBatches() throws -> [StrokeBatch] {
    guard let test else { return [] }
    return try test.schedule(epoch: 0).map { Self.convert(try test.batch($0), text) }
  }

  /// The loader's batch, with the texts of its lines when there are texts.
  private static func convert(_ b: Batch, _ text: TextBatches?) -> StrokeBatch {
    var s = StrokeBatch(strokes: b.strokes, mask: b.mask)
    if let text { (s.chars, s.cmask) = text.tensors(for: b.indices) }
    return s
  }
}

/// The transcriptions that `--synthesis` trains on; a clear error when the dataset has none (no
/// `transcriptions`, or only empty ones, as IAM-OnDB imported without `--ascii`).
func synthesisTranscriptions(_ dataset: StrokeDataset) throws -> [String] {
  guard let texts = try dataset.transcriptions(), texts.contains(where: { !$0.isEmpty }) else {
    throw DataError(
      dataset.path, "the dataset has no transcriptions, which --synthesis needs (each line's text)",
      hint: "train on the built-in dataset (leave out --data), make one with `sketch data hershey -o FILE`, or "
        + "import IAM-OnDB with its texts: `sketch data iam lineStrokes-all.tar.gz --ascii ascii-all.tar.gz -o FILE`")
  }
  return texts
}

/// The batches of the dataset named in `settings` (with texts for a synthesis model's `alphabet`).
func openBatches(_ settings: TrainingSettings, alphabet: Alphabet? = nil) throws -> BatchSource {
  try DatasetBatches(
    path: settings.data, batchSize: settings.batchSize, maxLength: settings.maxLength, seed: settings.seed,
    alphabet: alphabet)
}
