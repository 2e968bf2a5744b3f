import Codegen
import Foundation

/// The dataset file used when the user names none: the built-in dataset, made on first use in the
/// per-user data folder.
func defaultDatasetPath() throws -> String {
  try BuiltinDataset.ensure()
}

/// Batches of a dataset file for training: length-bucketed, reshuffled each epoch (deterministic for
/// the seed), streamed from the file.
struct DatasetBatches: BatchSource {
  let train: BatchLoader
  let test: BatchLoader?
  let scale: (x: Double, y: Double)

  init(path: String, batchSize: Int, maxLength: Int, seed: UInt64) throws {
    let dataset = try StrokeDataset(path: path)
    train = try BatchLoader(dataset: dataset, split: .train, batchSize: batchSize, maxLength: maxLength, seed: seed)
    test =
      dataset.range(.test).isEmpty
      ? nil : try BatchLoader(dataset: dataset, split: .test, batchSize: batchSize, maxLength: maxLength, seed: seed)
    scale = dataset.std ?? (1, 1)
  }

  func trainBatches(epoch: Int) throws -> EpochBatches {
    let schedule = train.schedule(epoch: epoch)
    return EpochBatches(count: schedule.count) { [train] in
      let b = try train.batch(schedule[$0])
      return StrokeBatch(strokes: b.strokes, mask: b.mask)
    }
  }

  func testBatches() throws -> [StrokeBatch] {
    guard let test else { return [] }
    return try test.schedule(epoch: 0).map { try convert(test.batch($0)) }
  }

  private func convert(_ b: Batch) -> StrokeBatch { StrokeBatch(strokes: b.strokes, mask: b.mask) }
}

/// The batches of the dataset named in `settings`.
func openBatches(_ settings: TrainingSettings) throws -> BatchSource {
  try DatasetBatches(
    path: settings.data, batchSize: settings.batchSize, maxLength: settings.maxLength, seed: settings.seed)
}
