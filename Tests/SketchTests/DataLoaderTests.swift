import Codegen
import Foundation
import XCTest

@testable import Sketch

/// The training data loader: epochs, masks and length buckets.
final class DataLoaderTests: XCTestCase {
  private var folder = ""
  private var path = ""

  /// 103 lines of lengths 5...60 (row k of line i is (i, k, pen every 7th row)).
  override func setUpWithError() throws {
    folder = try makeDataTestFolder("loader")
    path = folder + "/lines.h5"
    var records: [StrokeRecord] = []
    for i in 0..<103 {
      let length = 5 + (i * 37) % 56
      var rows: [Float] = []
      for k in 0..<length { rows += [Float(i), Float(k), k % 7 == 6 || k == length - 1 ? 1 : 0] }
      records.append(StrokeRecord(rows: rows, transcription: "\(i)", source: "\(i)"))
    }
    _ = try StrokeDatasetWriter.write(
      records, to: path, description: StrokeDatasetDescription(kind: "svg", units: "u", maxPoints: 0, seed: 5))
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

  func testEveryLineOncePerEpochMasksMatchLengthsAndBatchesRespectBuckets() throws {
    let loader = try BatchLoader(file: path, split: .train, batchSize: 8, seed: 42, bucketCount: 4)
    let dataset = loader.dataset
    let train = Array(dataset.range(.train))
    XCTAssertEqual(train.count, 92)
    XCTAssertEqual(loader.buckets.count, 4)
    XCTAssertEqual(loader.lineCount, 92)
    let texts = try XCTUnwrap(try dataset.transcriptions())
    let std = try XCTUnwrap(dataset.std)

    var previous: [[Int]]? = nil
    for epoch in 0..<3 {
      let schedule = loader.schedule(epoch: epoch)
      // Every line of the split exactly once.
      XCTAssertEqual(schedule.flatMap { $0 }.sorted(), train)
      XCTAssertEqual(schedule, loader.schedule(epoch: epoch), "deterministic for (seed, epoch)")
      if let previous { XCTAssertNotEqual(schedule, previous, "reshuffled every epoch") }
      previous = schedule

      var batches = loader.batches(epoch: epoch)
      XCTAssertEqual(batches.schedule, schedule)
      var seen = 0
      while let batch = try batches.next() {
        XCTAssertEqual(batch.indices, schedule[seen])
        seen += 1
        XCTAssertLessThanOrEqual(batch.size, 8)
        // All lines of a batch come from one bucket, within its length range.
        let bucket = try XCTUnwrap(loader.buckets.firstIndex { $0.contains(batch.indices[0]) })
        for index in batch.indices {
          XCTAssertTrue(loader.buckets[bucket].contains(index))
          XCTAssertTrue(loader.bucketLengths[bucket].contains(dataset.lengths[index]))
        }
        let steps = batch.lengths.max()!
        XCTAssertEqual(batch.strokes.shape, [steps + 1, batch.size, 3])
        XCTAssertEqual(batch.mask.shape, [steps, batch.size])
        XCTAssertEqual(batch.lengths, batch.indices.map { dataset.lengths[$0] })
        let strokes = floats(batch.strokes)
        let mask = floats(batch.mask)
        for (b, index) in batch.indices.enumerated() {
          let line = Float(Int(texts[index])!)
          XCTAssertEqual(Array(strokes[(b * 3)..<(b * 3 + 3)]), [0, 0, 0], "start row")
          for t in 0..<steps {
            XCTAssertEqual(mask[t * batch.size + b], t < batch.lengths[b] ? 1 : 0, "mask of \(index) at \(t)")
            let at = ((t + 1) * batch.size + b) * 3
            if t < batch.lengths[b] {
              XCTAssertEqual(Double(strokes[at]), Double(line) / std.x, accuracy: 1e-5)
              XCTAssertEqual(Double(strokes[at + 1]), Double(t) / std.y, accuracy: 1e-5)
            } else {
              XCTAssertEqual(Array(strokes[at..<(at + 3)]), [0, 0, 0])
            }
          }
        }
      }
      XCTAssertEqual(seen, schedule.count)
    }
    // Buckets cover increasing, narrow length ranges.
    for k in 1..<loader.bucketLengths.count {
      XCTAssertLessThanOrEqual(loader.bucketLengths[k - 1].upperBound, loader.bucketLengths[k].lowerBound)
    }
    // Another seed, another order; the test split works too.
    let other = try BatchLoader(file: path, split: .train, batchSize: 8, seed: 43, bucketCount: 4)
    XCTAssertNotEqual(other.schedule(epoch: 0), loader.schedule(epoch: 0))
    let test = try BatchLoader(file: path, split: .test, batchSize: 4, seed: 42)
    XCTAssertEqual(test.schedule(epoch: 0).flatMap { $0 }.sorted(), Array(dataset.range(.test)))
  }

  func testMaximumLengthTruncatesLines() throws {
    let loader = try BatchLoader(file: path, split: .train, batchSize: 16, maxLength: 20, seed: 1)
    var batches = loader.batches(epoch: 0)
    var count = 0
    while let batch = try batches.next() {
      XCTAssertLessThanOrEqual(batch.steps, 20)
      XCTAssertEqual(batch.lengths, batch.indices.map { min(20, loader.dataset.lengths[$0]) })
      XCTAssertEqual(floats(batch.mask).reduce(0, +), Float(batch.lengths.reduce(0, +)))
      count += batch.size
    }
    XCTAssertEqual(count, 92)
    XCTAssertThrowsError(try BatchLoader(file: path, split: .train, batchSize: 0)) { error in
      XCTAssertTrue("\(error)".contains("batch size"), "\(error)")
    }
  }
}
