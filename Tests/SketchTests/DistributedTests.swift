import Codegen
import Foundation
import XCTest

@testable import Sketch

/// Issue 17: the pieces of data-parallel training that need no MPI: how a batch is cut into shards,
/// the ordered sum, the parameter checksum and its message, and the clear errors of the flags and of
/// `--distributed` without MPI or without mpirun.
final class DistributedTests: XCTestCase {
  func testShardsCutABatchIntoContiguousNearlyEqualColumnRanges() {
    XCTAssertEqual((0..<3).map { DataParallel.columns(shard: $0, of: 3, batch: 7) }, [0..<2, 2..<4, 4..<7])
    XCTAssertEqual((0..<2).map { DataParallel.columns(shard: $0, of: 2, batch: 8) }, [0..<4, 4..<8])
    XCTAssertEqual((0..<4).map { DataParallel.columns(shard: $0, of: 4, batch: 2) }, [0..<0, 0..<1, 1..<1, 1..<2])
  }

  func testTheOrderedSumAddsTheBuffersFromTheFirst() {
    XCTAssertEqual(DataParallel.addInOrder([[1, 2], [3, 4], [5, 6]]), [9, 12])
    // Float addition is not associative: ((1e8 + 1) + 1) differs from (1e8 + (1 + 1)).
    let ordered = DataParallel.addInOrder([[1e8], [1], [1]])
    XCTAssertEqual(ordered, [(Float(1e8) + 1) + 1])
    XCTAssertEqual(ordered, [1e8])
    XCTAssertEqual(DataParallel.addInOrder([]), [])
  }

  func testTheChecksumSeesOneBitAndTheMessageNamesTheRanksThatDiffer() {
    let a = Tensor(shape: [2, 2], [Float(1), 2, 3, 4])
    let b = Tensor(shape: [2, 2], [Float(1), 2, 3, Float(bitPattern: Float(4).bitPattern ^ 1)])
    XCTAssertEqual(DataParallel.checksum([a]), DataParallel.checksum([Tensor(shape: [2, 2], [Float(1), 2, 3, 4])]))
    XCTAssertNotEqual(DataParallel.checksum([a]), DataParallel.checksum([b]))
    let (x, y) = (DataParallel.checksum([a]), DataParallel.checksum([b]))
    XCTAssertNil(DataParallel.mismatch([x, x, x], step: 7))
    let message = try! XCTUnwrap(DataParallel.mismatch([x, x, y, y], step: 7))
    XCTAssertTrue(message.hasPrefix("step 7: the parameters of rank 2 ("), message)
    XCTAssertTrue(message.contains("rank 3 ("), message)
    XCTAssertFalse(message.contains("rank 1 "), message)
    XCTAssertTrue(message.contains("--model continue"), message)
  }

  func testAShardOfABatchHoldsItsColumnsOfEveryTensor() {
    // strokes [T+1 = 2, B = 3, 3], mask [1, 3], chars [3, 2], cmask [3, 2]: values name their place.
    let strokes = Tensor(shape: [2, 3, 3], (0..<18).map(Float.init))
    var b = StrokeBatch(strokes: strokes, mask: Tensor(shape: [1, 3], [Float(1), 1, 0]))
    b.chars = Tensor(shape: [3, 2], [Int32(10), 11, 20, 21, 30, 31])
    b.cmask = Tensor(shape: [3, 2], [Float(1), 1, 1, 0, 1, 1])
    let s = b.columns(1..<3)
    XCTAssertEqual(s.strokes.shape, [2, 2, 3])
    XCTAssertEqual(s.strokes.array(Float.self), [3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 16, 17])
    XCTAssertEqual(s.mask.array(Float.self), [1, 0])
    XCTAssertEqual(s.chars?.array(Int32.self), [20, 21, 30, 31])
    XCTAssertEqual(s.cmask?.shape, [2, 2])
    XCTAssertEqual(s.cmask?.array(Float.self), [1, 0, 1, 1])
  }

  func testDistributedWithoutMPIOrWithoutMpirunIsAClearError() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-dist-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = try SketchProcess.run(
      ["train", "--distributed", "--max-batches", "1"], in: dir,
      shell: "SKETCH_MPI_LIBRARY=/nonexistent/libmpi.so.40 exec \"$S\" \"$@\"")
    XCTAssertNotEqual(missing.status, 0)
    XCTAssertTrue(missing.output.contains("--distributed needs Open MPI"), missing.output)
    XCTAssertTrue(missing.output.contains("/nonexistent/libmpi.so.40"), missing.output)
    XCTAssertTrue(missing.output.contains("apt-get install openmpi-bin"), missing.output)
    XCTAssertFalse(missing.output.contains("Fatal error"), missing.output)
    try MPIRun.ensureInstalled()
    let alone = try SketchProcess.run(["train", "--distributed", "--max-batches", "1"], in: dir)
    XCTAssertNotEqual(alone.status, 0)
    XCTAssertTrue(alone.output.contains("run `mpirun -np N sketch train --distributed"), alone.output)
    XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent(TinyRun.folderName).path))
  }

  func testTheDataParallelFlagsAreChecked() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-dist-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let cases: [([String], String)] = [
      (["--fixed-reduction"], "--fixed-reduction orders the sum"),
      (["--distributed", "--shards", "2"], "--shards emulates ranks in one process"),
      (["--shards", "0"], "--shards"),
      (["--shards", "4", "--bs", "2"], "--bs 2 is smaller than --shards 4"),
      (["--shards", "2", "--sample", "--model", "x"], "--sample draws in one process"),
    ]
    for (flags, expected) in cases {
      let r = try SketchProcess.run(["train"] + flags, in: dir)
      XCTAssertNotEqual(r.status, 0, "\(flags)")
      XCTAssertTrue(r.output.contains(expected), "\(flags): \(r.output)")
    }
  }
}
