import Codegen
import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// The dataset file layout: round trip, files of the original notebook (Fuel), damaged files.
final class DataHDF5LayoutTests: XCTestCase {
  private var folder = ""

  override func setUpWithError() throws { folder = try makeDataTestFolder("layout") }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

  /// The lines of Fixtures/data_fuel_layout*.h5 (keep in sync with make_data_fuel_fixture.py).
  static let fuelLines: [[[(Int, Int)]]] = [
    [[(10, 20), (13, 24), (15, 30)], [(40, 22), (41, 25)]],
    [[(5, 5)], [(8, 9), (12, 9), (12, 15)], [(20, 3)], [(25, 7), (27, 8)]],
    [[(0, 0), (3, 4), (6, 8), (9, 12), (9, 20)]],
  ]

  func testRoundTrip() throws {
    let records = [
      StrokeRecord(rows: [3, 4, 0, -1, 2, 1, 10, -5, 0, 2, 2, 1], transcription: "naïve café — ok", source: "a.xml"),
      StrokeRecord(rows: [1, 1, 1], transcription: "", source: "b/c.xml"),
      StrokeRecord(rows: [0, -3, 0, 5, 0, 0, 6, 1, 1], transcription: "日本語", source: "d.xml"),
    ]
    let path = folder + "/round.h5"
    let summary = try StrokeDatasetWriter.write(
      records, to: path,
      description: StrokeDatasetDescription(
        kind: "svg", units: "test units", maxPoints: 0, seed: 11,
        attributes: [("extra", .string("yes"))]))
    XCTAssertEqual(summary.count, 3)
    XCTAssertEqual(summary.train, 2)
    XCTAssertEqual(summary.paddedLength, 4)
    let dx = records.flatMap { r in (0..<r.count).map { Double(r.rows[3 * $0]) } }
    let dy = records.flatMap { r in (0..<r.count).map { Double(r.rows[3 * $0 + 1]) } }
    func std(_ v: [Double]) -> Double {
      let m = v.reduce(0, +) / Double(v.count)
      return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()
    }

    let dataset = try StrokeDataset(path: path)
    XCTAssertEqual(dataset.layout, .sketch)
    XCTAssertEqual(dataset.kind, "svg")
    XCTAssertEqual(dataset.count, 3)
    XCTAssertEqual(dataset.paddedLength, 4)
    XCTAssertEqual(dataset.range(.train), 0..<2)
    XCTAssertEqual(dataset.range(.test), 2..<3)
    XCTAssertEqual(dataset.std!.x, std(dx), accuracy: 1e-12)
    XCTAssertEqual(dataset.std!.y, std(dy), accuracy: 1e-12)
    let sources = try XCTUnwrap(try dataset.sources())
    let texts = try XCTUnwrap(try dataset.transcriptions())
    XCTAssertEqual(Set(sources), ["a.xml", "b/c.xml", "d.xml"])
    for index in 0..<3 {
      let record = records.first { $0.source == sources[index] }!
      XCTAssertEqual(texts[index], record.transcription)
      XCTAssertEqual(dataset.lengths[index], record.count)
      let rows = try dataset.rows(index)
      for k in 0..<record.count {
        XCTAssertEqual(Double(rows[3 * k]), Double(record.rows[3 * k]) / std(dx), accuracy: 1e-6)
        XCTAssertEqual(Double(rows[3 * k + 1]), Double(record.rows[3 * k + 1]) / std(dy), accuracy: 1e-6)
        XCTAssertEqual(rows[3 * k + 2], record.rows[3 * k + 2])
      }
      XCTAssertEqual(try dataset.rows(index, limit: 1).count, 3)
    }
    let attributes = Dictionary(uniqueKeysWithValues: dataset.attributes())
    XCTAssertEqual(attributes["extra"], .string("yes"))
    XCTAssertEqual(attributes["seed"], .int(11))
    XCTAssertEqual(attributes["sketch_format"], .string(StrokeDatasetWriter.formatName))
    // The split is Fuel's array, readable as such.
    XCTAssertEqual(
      try FuelSplit.read(path: path),
      [
        FuelSplitEntry(split: "train", source: "features", start: 0, stop: 2),
        FuelSplitEntry(split: "test", source: "features", start: 2, stop: 3),
      ])
    // Only the final file is left in the folder.
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["round.h5"])
  }

  func testFilesOfTheOriginalNotebookLoad() throws {
    let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    // The notebook's normalisation: std of every (dx, dy) in its convention (same moves as ours).
    var moves: [(Double, Double)] = []
    for line in Self.fuelLines {
      let points = line.flatMap { $0 }
      for k in 1..<points.count {
        moves.append((Double(points[k].0 - points[k - 1].0), Double(points[k].1 - points[k - 1].1)))
      }
    }
    func std(_ v: [Double]) -> Double {
      let m = v.reduce(0, +) / Double(v.count)
      return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()
    }
    let sx = std(moves.map(\.0))
    let sy = std(moves.map(\.1))
    for name in ["data_fuel_layout.h5", "data_fuel_layout_old.h5"] {
      let dataset = try StrokeDataset(path: fixtures.appendingPathComponent(name).path)
      XCTAssertEqual(dataset.layout, .fuel, name)
      XCTAssertNil(dataset.std)
      XCTAssertEqual(dataset.count, 3)
      XCTAssertEqual(dataset.paddedLength, 12)
      XCTAssertEqual(dataset.range(.train), 0..<2, name)
      XCTAssertEqual(dataset.range(.test), 2..<3, name)
      for (index, line) in Self.fuelLines.enumerated() {
        let expected = DataIAMImportTests.expectedRows(line)
        XCTAssertEqual(dataset.lengths[index], expected.count, "\(name) line \(index)")
        let rows = try dataset.rows(index)
        XCTAssertEqual(rows.count, 3 * expected.count)
        for (k, row) in expected.enumerated() {
          XCTAssertEqual(Double(rows[3 * k]), row.0 / sx, accuracy: 1e-5, "\(name) line \(index) row \(k)")
          XCTAssertEqual(Double(rows[3 * k + 1]), row.1 / sy, accuracy: 1e-5, "\(name) line \(index) row \(k)")
          XCTAssertEqual(Double(rows[3 * k + 2]), row.2, "\(name) line \(index) row \(k) pen")
        }
      }
      // It trains like any other file.
      let loader = try BatchLoader(dataset: dataset, split: .train, batchSize: 2, seed: 1)
      XCTAssertEqual(loader.schedule(epoch: 0).flatMap { $0 }.sorted(), [0, 1])
    }
  }

  func testDamagedAndForeignFilesGiveClearErrors() throws {
    var records: [StrokeRecord] = []
    for i in 0..<40 {
      var rows: [Float] = []
      for k in 0..<300 {
        let pen: Float = k % 50 == 49 ? 1 : 0
        rows += [Float(k % 7), Float(i % 5) - 2, pen]
      }
      records.append(StrokeRecord(rows: rows + [1, 1, 1], transcription: "line \(i)", source: "\(i)"))
    }
    let path = folder + "/good.h5"
    _ = try StrokeDatasetWriter.write(
      records, to: path, description: StrokeDatasetDescription(kind: "svg", units: "u", maxPoints: 0, seed: 0))
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))

    let truncated = folder + "/truncated.h5"
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
    XCTAssertThrowsError(try StrokeDataset(path: truncated)) { error in
      XCTAssertTrue(error is DataError, "\(error)")
      XCTAssertTrue("\(error)".contains(truncated), "\(error)")
      XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
    }
    let text = folder + "/notes.h5"
    try Data("features,lengths\n1,2\n".utf8).write(to: URL(fileURLWithPath: text))
    XCTAssertThrowsError(try StrokeDataset(path: text)) { error in
      XCTAssertTrue("\(error)".contains("not an HDF5 file"), "\(error)")
      XCTAssertTrue("\(error)".contains("hint: expected a stroke dataset"), "\(error)")
    }
    XCTAssertThrowsError(try StrokeDataset(path: folder + "/missing.h5")) { error in
      XCTAssertTrue("\(error)".contains("no such file"), "\(error)")
    }
    // An HDF5 file that is not a stroke dataset.
    let other = folder + "/other.h5"
    let file = try HDF5File.create(other)
    try file.write(Tensor(shape: [2], [Float(1), 2]), to: "weights")
    try file.commit()
    XCTAssertThrowsError(try StrokeDataset(path: other)) { error in
      XCTAssertTrue("\(error)".contains("no 'features' dataset"), "\(error)")
    }
  }
}
