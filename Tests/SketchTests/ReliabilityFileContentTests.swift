import Codegen
import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// Issue 12, finding 11 and the file messages of 13: hostile but well-formed files. Everything read
/// from a dataset or a model file is validated before it is used, with an error naming the file and
/// the field; sizes claimed by a file are bounded by the file's size.
final class ReliabilityFileContentTests: XCTestCase {
  private var folder = ""

  override func setUpWithError() throws { folder = try makeDataTestFolder("contents") }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

  // MARK: Datasets

  /// A Sketch-layout dataset of `lines` lines of `width` rows (all train), with the given `lengths`.
  private func dataset(
    _ name: String, lines: Int = 2, width: Int = 4, lengths: Tensor, features: [Float]? = nil,
    transcriptions: [String]? = nil, compressed: Bool = false
  ) throws -> String {
    let path = folder + "/" + name
    let file = try HDF5File.create(path)
    let values = features ?? (0..<(lines * width * 3)).map { Float($0 % 3 == 2 ? ($0 / 3) % 2 : 1) }
    try file.write(
      Tensor(shape: [lines, width, 3], values), to: "features",
      compression: compressed ? HDF5Compression(level: 4, chunkShape: [1, width, 3]) : nil)
    try file.write(lengths, to: "lengths")
    if let transcriptions { try file.write(strings: transcriptions, to: "transcriptions") }
    try file.commit()
    return path
  }

  func testNonFiniteOrHugeFloatLengthsAreAnError() throws {
    for (value, shown) in [(Double.nan, "nan"), (1e300, "1e+300"), (-1, "-1.0"), (2.5, "2.5"), (5, "5.0")] {
      let path = try dataset("len.h5", lengths: Tensor(shape: [2], [3.0, value]))
      XCTAssertThrowsError(try StrokeDataset(path: path)) {
        XCTAssertEqual(
          ($0 as? DataError)?.message,
          "'lengths'[1] is \(shown), expected a whole number of rows in 0...4 (the padded length of 'features')")
        XCTAssertEqual(($0 as? DataError)?.place, path)
      }
    }
    let path = try dataset("ok.h5", lengths: Tensor(shape: [2], [3.0, 4.0]))
    XCTAssertEqual(try StrokeDataset(path: path).lengths, [3, 4])
  }

  func testTranscriptionsOfAnotherLengthAreAnError() throws {
    let path = try dataset("t.h5", lengths: Tensor(shape: [2], [Int32(2), 3]), transcriptions: ["only one"])
    let data = try StrokeDataset(path: path)
    XCTAssertThrowsError(try data.transcriptions()) {
      XCTAssertEqual(
        "\($0)",
        "\(path): 'transcriptions' has 1 entries for the 2 lines of 'features'\n"
          + "hint: the file is damaged or was not written by `sketch data`; re-create it")
    }
    // `data show --png` printed transcriptions by index (index out of range before).
    var show = try ShowCommand.parse([path, "--png", folder + "/t.png"])
    XCTAssertThrowsError(try show.run()) { XCTAssertTrue("\($0)".contains("'transcriptions' has 1 entries"), "\($0)") }
  }

  func testNaNFeaturesAreAnErrorNamingTheLineAndRow() throws {
    var values = [Float](repeating: 0, count: 2 * 4 * 3)
    values[1 * 12 + 2 * 3 + 1] = .nan
    let path = try dataset("nan.h5", lengths: Tensor(shape: [2], [Int32(4), 4]), features: values)
    let data = try StrokeDataset(path: path)
    XCTAssertEqual(try data.rows(0), [Float](repeating: 0, count: 12))
    XCTAssertThrowsError(try data.rows(1)) {
      XCTAssertEqual(($0 as? DataError)?.message, "'features' line 1, row 2 holds nan, not a finite number")
    }
    // `data show --png` (crashed before), as a user runs it.
    let result = try SketchExecutable.run(
      ["data", "show", path, "--png", folder + "/nan.png"], cache: folder + "/cache")
    XCTAssertTrue(result.exitedCleanly, result.output)
    XCTAssertEqual(result.status, 1, result.output)
    XCTAssertTrue(
      result.output.contains("\(path): 'features' line 1, row 2 holds nan, not a finite number"), result.output)
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/nan.png"))
  }

  func testUnavailableCompressionFilterIsNamed() throws {
    let path = try dataset("lzf.h5", lengths: Tensor(shape: [2], [Int32(2), 3]), compressed: true)
    // Turn the deflate filter (id 1) of 'features' into lzf (id 32000), which this HDF5 lacks. In the
    // version-1 filter pipeline message the filter id is 8 bytes before its name.
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let name = Array("deflate\0".utf8)
    let at = try XCTUnwrap((0...(bytes.count - name.count)).first { Array(bytes[$0..<($0 + name.count)]) == name })
    XCTAssertEqual(Array(bytes[(at - 8)..<(at - 6)]), [1, 0])
    bytes[at - 8] = 0x00
    bytes[at - 7] = 0x7D
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let data = try StrokeDataset(path: path)
    XCTAssertThrowsError(try data.rows(0)) {
      XCTAssertEqual(
        ($0 as? DataError)?.message,
        "'features' is compressed with lzf (HDF5 filter 32000), which this HDF5 library cannot decode (the file is not damaged)"
      )
      XCTAssertFalse("\($0)".contains("truncated"), "\($0)")
    }
  }

  func testDatasetClaimingMoreThanTheFileHoldsIsRefusedBeforeAllocating() throws {
    // A damaged header can claim any shape; the read would allocate it. Simulate with a compressed
    // dataset whose chunks were never written (a valid file of a few kB claiming 2^40 elements).
    let path = folder + "/huge.h5"
    let file = try HDF5File.create(path)
    try file.write(Tensor(shape: [1], [Float(0)]), to: "small")
    try file.commit()
    try HDF5TestSupport.addUnwrittenDataset(to: path, name: "huge", shape: [1 << 20, 1 << 20])
    let reader = try HDF5File.open(path)
    XCTAssertEqual(try reader.info(of: "huge").shape, [1 << 20, 1 << 20])
    XCTAssertThrowsError(try reader.read("huge")) {
      XCTAssertTrue("\($0)".contains("claims shape [1048576, 1048576], more data than the"), "\($0)")
      XCTAssertTrue("\($0)".hasSuffix("file can hold; the file is damaged"), "\($0)")
    }
  }

  /// A dataset the fuzz test made (two bytes changed): libhdf5 1.10 copies its 'kind' attribute from a
  /// wild global-heap address and segfaults, or aborts in malloc's checks, depending on what the heap
  /// holds at that moment. Read first in a child (HDF5Probe), it is refused and the process survives.
  func testFileWhoseStringsCrashLibHDF5IsRefused() throws {
    let fixture = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
      .appendingPathComponent("damaged_global_heap.h5").path
    XCTAssertThrowsError(try StrokeDataset(path: fixture)) {
      let message = ($0 as? DataError)?.message ?? "\($0)"
      let crashes = [SIGSEGV, SIGABRT, SIGBUS].map {
        "the file is damaged: reading it crashes the HDF5 library (signal \($0)); nothing was read"
      }
      XCTAssertTrue(crashes.contains(message), message)
    }
  }

  // MARK: Model files

  private let small = ModelConfig(depth: 1, dim: 4, mixDim: 2)

  private func model(
    _ name: String, config: String? = nil, position: String? = nil, shapes: ModelConfig? = nil
  ) throws -> String {
    let path = folder + "/" + name
    let file = try HDF5File.create(path)
    try file.setAttribute("format", .string(Checkpoint.format))
    try file.setAttribute("version", .int(Checkpoint.version))
    try file.setAttribute("config", .string(config ?? small.json()))
    try file.setAttribute("training", .string("{}"))
    try file.setAttribute("experiment", .string("x"))
    try file.setAttribute("position", .string(position ?? "{\"epoch\":1,\"batchInEpoch\":2,\"step\":3,\"seed\":4}"))
    for (name, shape) in HandwritingModel.parameterShapes(shapes ?? small) {
      try file.write(Tensor.zeros(.float32, shape), to: "params/\(name)")
    }
    try file.commit()
    return path
  }

  func testModelFileFieldsAreValidatedWithTheFileNamed() throws {
    XCTAssertEqual(try Checkpoint.read(try model("ok.h5")).position.step, 3)
    var zero = small
    zero.depth = 0
    let cases: [(String, String)] = [
      (
        try model("depth0.h5", config: zero.json()), "the 'config' attribute is invalid: depth must be in 1...64, got 0"
      ),
      (try model("json.h5", config: "{\"depth\": 1, "), "the 'config' attribute is not valid: not valid JSON"),
      (
        try model(
          "dim.h5",
          config: "{\"depth\":1,\"dim\":9999999,\"mixDim\":2,\"gru\":false,\"skip\":false,"
            + "\"top\":false,\"dropout\":0,\"epsilon\":1e-5,\"uniform\":0}"),
        "the 'config' attribute is invalid: dim must be in 1...65536, got 9999999"
      ),
      (
        try model("neg.h5", position: "{\"epoch\":0,\"batchInEpoch\":-2,\"step\":5,\"seed\":0}"),
        "the 'position' attribute has batchInEpoch -2; it cannot be negative (the file is damaged)"
      ),
      (try model("pos.h5", position: "[1]"), "the 'position' attribute is not valid"),
      (
        try model("shape.h5", shapes: ModelConfig(depth: 1, dim: 5, mixDim: 2)),
        "parameter 'transition/layer0/W' is [3, 20] in the file; its 'config' needs [3, 16]"
      ),
    ]
    for (path, message) in cases {
      XCTAssertThrowsError(try Checkpoint.read(path)) {
        XCTAssertTrue("\($0)".hasPrefix("\(path): \(message)"), "\($0)")
      }
    }
  }
}
