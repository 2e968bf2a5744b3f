import Codegen

/// A training batch, time-major, ready for the handwriting model.
public struct Batch: Sendable {
  /// float32 [T + 1, B, 3]: row 0 is the start input (0, 0, 0); rows 1...length of column b are line
  /// b's rows (dx, dy, pen), normalised by the dataset's standard deviations; the rest is zero.
  /// The model reads rows 0..<T and predicts rows 1...T.
  public var strokes: Tensor
  /// float32 [T, B]: 1 where step t of column b predicts a real row (t < lengths[b]), else 0.
  public var mask: Tensor
  /// Rows of each line in the batch (after truncation to the loader's `maxLength`).
  public var lengths: [Int]
  /// The line indices (rows of the dataset file) of the columns.
  public var indices: [Int]

  /// T, the number of prediction steps (the longest line in the batch).
  public var steps: Int { mask.shape[0] }
  /// B, the number of lines.
  public var size: Int { indices.count }
}

/// Batches of similar-length lines from a stroke dataset, reshuffled every epoch.
///
/// The lines of the split are put in `bucketCount` length buckets once (sorted by length and cut into
/// groups of equal size, so each bucket covers a narrow range of lengths). Every epoch, each bucket is
/// shuffled and cut into batches of `batchSize` lines (a bucket's last batch may be smaller), and the
/// batches of all buckets are shuffled together. Every line appears exactly once per epoch, the order
/// depends only on (seed, epoch), and a batch is read from the file only when it is asked for.
///
/// Lines longer than `maxLength` rows are truncated to their first `maxLength` rows, as the original
/// trainer did (`x[:max_length]`).
public final class BatchLoader {
  public let dataset: StrokeDataset
  public let split: DataSplit
  public let batchSize: Int
  public let maxLength: Int?
  public let seed: UInt64
  /// The line indices of each bucket (fixed for the loader's lifetime).
  public let buckets: [[Int]]
  /// The range of (truncated) lengths in each bucket.
  public let bucketLengths: [ClosedRange<Int>]

  /// Opens `file` and prepares batches of `batchSize` lines of `split`.
  public convenience init(
    file: String, split: DataSplit, batchSize: Int, maxLength: Int? = nil, seed: UInt64 = 0,
    bucketCount: Int = 10
  ) throws {
    try self.init(
      dataset: try StrokeDataset(path: file), split: split, batchSize: batchSize, maxLength: maxLength,
      seed: seed, bucketCount: bucketCount)
  }

  public init(
    dataset: StrokeDataset, split: DataSplit, batchSize: Int, maxLength: Int? = nil, seed: UInt64 = 0,
    bucketCount: Int = 10
  ) throws {
    guard batchSize >= 1 else { throw DataError(dataset.path, "the batch size must be at least 1, got \(batchSize)") }
    if let maxLength, maxLength < 1 {
      throw DataError(dataset.path, "the maximum length must be at least 1, got \(maxLength)")
    }
    self.dataset = dataset
    self.split = split
    self.batchSize = batchSize
    self.maxLength = maxLength
    self.seed = seed
    let lines = dataset.range(split).filter { dataset.lengths[$0] > 0 }
    guard !lines.isEmpty else {
      throw DataError(
        dataset.path, "the \(split.rawValue) split has no lines",
        hint: split == .test ? "the file may have no test split; train without evaluation" : "")
    }
    let limit = maxLength ?? Int.max
    let sorted = lines.sorted { (min(dataset.lengths[$0], limit), $0) < (min(dataset.lengths[$1], limit), $1) }
    let groups = max(1, min(bucketCount, sorted.count / batchSize))
    var buckets: [[Int]] = []
    for g in 0..<groups {
      let from = g * sorted.count / groups
      let to = (g + 1) * sorted.count / groups
      if to > from { buckets.append(Array(sorted[from..<to])) }
    }
    self.buckets = buckets
    bucketLengths = buckets.map { bucket in
      min(dataset.lengths[bucket.first!], limit)...min(dataset.lengths[bucket.last!], limit)
    }
  }

  /// Number of lines per epoch.
  public var lineCount: Int { buckets.reduce(0) { $0 + $1.count } }

  /// The line length the loader uses for `index` (truncated to `maxLength`).
  public func length(of index: Int) -> Int { min(dataset.lengths[index], maxLength ?? Int.max) }

  /// The line indices of every batch of `epoch`, in order; deterministic for (seed, epoch).
  public func schedule(epoch: Int) -> [[Int]] {
    var random = RandomStream(seed: seed, stream: 0x4550_4F43_0000_0000 | UInt64(UInt32(truncatingIfNeeded: epoch)))
    var batches: [[Int]] = []
    for bucket in buckets {
      var lines = bucket
      random.shuffle(&lines)
      var start = 0
      while start < lines.count {
        batches.append(Array(lines[start..<min(start + batchSize, lines.count)]))
        start += batchSize
      }
    }
    random.shuffle(&batches)
    return batches
  }

  /// Reads the lines `indices` and builds their batch.
  public func batch(_ indices: [Int]) throws -> Batch {
    let lengths = indices.map { length(of: $0) }
    let steps = lengths.max() ?? 0
    let size = indices.count
    var strokes = [Float](repeating: 0, count: (steps + 1) * size * 3)
    var mask = [Float](repeating: 0, count: steps * size)
    for (b, index) in indices.enumerated() {
      let rows = try dataset.rows(index, limit: lengths[b])
      for t in 0..<lengths[b] {
        let at = ((t + 1) * size + b) * 3
        strokes[at] = rows[3 * t]
        strokes[at + 1] = rows[3 * t + 1]
        strokes[at + 2] = rows[3 * t + 2]
        mask[t * size + b] = 1
      }
    }
    return Batch(
      strokes: Tensor(shape: [steps + 1, size, 3], strokes), mask: Tensor(shape: [steps, size], mask),
      lengths: lengths, indices: indices)
  }

  /// Every batch of `epoch`, read one at a time as the iterator advances.
  public func batches(epoch: Int) -> Batches { Batches(loader: self, schedule: schedule(epoch: epoch)) }

  /// The batches of an epoch; `next()` reads the next one from the file.
  public struct Batches {
    let loader: BatchLoader
    /// The line indices of every batch, in order.
    public let schedule: [[Int]]
    private var position = 0

    init(loader: BatchLoader, schedule: [[Int]]) {
      self.loader = loader
      self.schedule = schedule
    }

    public var count: Int { schedule.count }

    /// The next batch, or nil at the end of the epoch.
    public mutating func next() throws -> Batch? {
      guard position < schedule.count else { return nil }
      defer { position += 1 }
      return try loader.batch(schedule[position])
    }
  }
}
