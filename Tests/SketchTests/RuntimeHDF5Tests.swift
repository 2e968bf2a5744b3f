import Foundation
import SketchFiles
import SketchRuntime
import XCTest

/// Round trips through HDF5 files, atomic creation, error messages and files written by h5py.
final class RuntimeHDF5Tests: XCTestCase {
  private var directory = ""

  override func setUpWithError() throws {
    directory = try makeRuntimeTestDirectory("hdf5")
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(atPath: directory)
  }

  private func entries() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
  }

  func testTensorRoundTripAllDtypes() throws {
    let path = directory + "/tensors.h5"
    let f32 = Tensor(shape: [2, 3, 4], (0..<24).map { Float($0) * 0.5 - 3 })
    let f64 = Tensor(shape: [5], [Double.pi, -1e300, 0, .infinity, 1e-310])
    let i32 = Tensor(shape: [3, 2], [Int32.min, -1, 0, 1, 42, Int32.max])
    let b = Tensor(shape: [7], [true, false, false, true, true, false, true])
    let scalar = Tensor(scalar: Float(2.5))
    let empty = Tensor.zeros(.float32, [0, 3])
    let file = try HDF5File.create(path)
    try file.write(f32, to: "params/lstm0/W")
    try file.write(f64, to: "/params/lstm0/b")
    try file.write(i32, to: "ints")
    try file.write(b, to: "masks/m")
    try file.write(scalar, to: "scalar")
    try file.write(empty, to: "empty")
    try file.commit()

    let reader = try HDF5File.open(path)
    XCTAssertFalse(reader.isWritable)
    XCTAssertEqual(try reader.read("params/lstm0/W"), f32)
    XCTAssertEqual(try reader.read("params/lstm0/b"), f64)
    XCTAssertEqual(try reader.read("/ints"), i32)
    XCTAssertEqual(try reader.read("masks/m"), b)
    XCTAssertEqual(try reader.read("scalar"), scalar)
    XCTAssertEqual(try reader.read("empty"), empty)
    XCTAssertEqual(
      try reader.info(of: "params/lstm0/W"),
      HDF5DatasetInfo(shape: [2, 3, 4], element: .numeric(.float32)))
    XCTAssertEqual(try reader.info(of: "masks/m").dtype, .bool)
    XCTAssertEqual(try reader.info(of: "scalar").shape, [])
    XCTAssertEqual(try reader.members(), ["empty", "ints", "masks", "params", "scalar"])
    XCTAssertEqual(try reader.members(of: "params/lstm0"), ["W", "b"])
    XCTAssertEqual(try reader.kind(of: "params"), .group)
    XCTAssertEqual(try reader.kind(of: "params/lstm0/W"), .dataset)
    XCTAssertTrue(reader.exists("params/lstm0/W"))
    XCTAssertFalse(reader.exists("params/lstm1/W"))
    try reader.close()
    XCTAssertFalse(reader.isOpen)
  }

  func testCompressedDatasetAndHyperslabs() throws {
    let path = directory + "/big.h5"
    let rows = 300
    let cols = 500
    // Small integers in a repeating pattern: very compressible.
    let values = (0..<(rows * cols)).map { Float(($0 / cols) % 7 + ($0 % cols) % 13) }
    let big = Tensor(shape: [rows, cols], values)
    let small = Tensor(shape: [6, 5], (0..<30).map { Double($0) })
    let file = try HDF5File.create(path)
    try file.write(big, to: "big", compression: .gzip)
    try file.write(
      big, to: "bigChunked", compression: HDF5Compression(level: 9, chunkShape: [7, 11]))
    try file.write(small, to: "small")
    // A chunk larger than the data is cut to the data's shape.
    try file.write(
      small, to: "smallChunked", compression: HDF5Compression(level: 1, chunkShape: [100, 2]))
    try file.close()

    // Two deflated copies take less room than one raw copy (600 kB).
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    XCTAssertLessThan(size, rows * cols * 4, "file has \(size) bytes")
    let reader = try HDF5File.open(path)
    XCTAssertEqual(try reader.read("big"), big)
    XCTAssertEqual(try reader.read("bigChunked"), big)
    XCTAssertEqual(try reader.read("smallChunked"), small)

    // Rows 2..<5, columns 1..<3 of small.
    let slab = try reader.read("small", start: [2, 1], count: [3, 2])
    XCTAssertEqual(slab, Tensor(shape: [3, 2], [11.0, 12, 16, 17, 21, 22]))
    // A block of the compressed array crossing chunk boundaries.
    let block = try reader.read("bigChunked", start: [123, 456], count: [10, 44])
    var expected: [Float] = []
    for r in 123..<133 { for c in 456..<500 { expected.append(values[r * cols + c]) } }
    XCTAssertEqual(block, Tensor(shape: [10, 44], expected))
    XCTAssertEqual(try reader.read("small", start: [0, 0], count: [0, 5]).shape, [0, 5])
    XCTAssertThrowsError(try reader.read("small", start: [5, 0], count: [2, 1])) { error in
      XCTAssertTrue("\(error)".contains("outside shape [6, 5]"), "\(error)")
    }
  }

  func testAttributesOfEveryKindOnRootGroupAndDataset() throws {
    let path = directory + "/attrs.h5"
    let file = try HDF5File.create(path)
    try file.createGroup("model/encoder")
    try file.createGroup("model/encoder")  // idempotent
    try file.write(Tensor([1, 2] as [Float]), to: "model/encoder/W")
    let values: [HDF5Attribute] = [
      .double(-0.125), .int(-9_000_000_000), .string("Grüße, 世界"), .doubles([1.5, -2, 1e-300]),
      .ints([1, -2, Int.max]), .strings(["a", "ü", ""]), .doubles([]), .ints([]),
    ]
    for object in ["/", "model/encoder", "model/encoder/W"] {
      for (i, value) in values.enumerated() { try file.setAttribute("a\(i)", value, on: object) }
    }
    try file.setAttribute("a0", .string("replaced"), on: "/")
    try file.commit()

    let reader = try HDF5File.open(path)
    for object in ["/", "model/encoder", "model/encoder/W"] {
      for (i, value) in values.enumerated() where !(object == "/" && i == 0) {
        XCTAssertEqual(try reader.attribute("a\(i)", of: object), value, "\(object) a\(i)")
      }
      XCTAssertEqual(try reader.attributeNames(of: object), (0..<values.count).map { "a\($0)" })
    }
    XCTAssertEqual(try reader.stringAttribute("a0"), "replaced")
    XCTAssertEqual(try reader.intAttribute("a1", of: "model/encoder"), -9_000_000_000)
    XCTAssertEqual(try reader.doubleAttribute("a1", of: "model/encoder"), -9e9)
    XCTAssertEqual(
      try reader.doublesAttribute("a4", of: "model/encoder/W"), [1, -2, Double(Int.max)])
    XCTAssertEqual(try reader.intsAttribute("a4", of: "model/encoder/W"), [1, -2, Int.max])
    XCTAssertThrowsError(try reader.intAttribute("a2", of: "model/encoder")) { error in
      let text = "\(error)"
      XCTAssertTrue(
        text.contains("/model/encoder@a2") && text.contains("expected an integer"), text)
    }
    XCTAssertThrowsError(try reader.attribute("nope")) { error in
      XCTAssertTrue("\(error)".contains("no such attribute"), "\(error)")
    }
  }

  func testStringDatasetsWithNonASCIIText() throws {
    let path = directory + "/text.h5"
    let lines = [
      "hello", "naïve café", "日本語のテキスト", "", "emoji 🎉 and ✍️",
      String(repeating: "x", count: 5000),
    ]
    let file = try HDF5File.create(path)
    try file.write(strings: lines, to: "transcriptions/lines")
    try file.write(strings: [], to: "transcriptions/none")
    try file.commit()
    let reader = try HDF5File.open(path)
    XCTAssertEqual(try reader.readStrings("transcriptions/lines"), lines)
    XCTAssertEqual(try reader.readStrings("transcriptions/none"), [])
    XCTAssertEqual(
      try reader.info(of: "transcriptions/lines"), HDF5DatasetInfo(shape: [6], element: .string))
    XCTAssertThrowsError(try reader.read("transcriptions/lines")) { error in
      XCTAssertTrue("\(error)".contains("string dataset"), "\(error)")
    }
  }

  func testUncommittedFileLeavesNothingAndTargetIsNeverPartial() throws {
    let path = directory + "/model.h5"
    do {
      let file = try HDF5File.create(path)
      try file.write(Tensor([1, 2, 3] as [Float]), to: "x")
      // Written so far only under a hidden temporary name.
      XCTAssertFalse(FileManager.default.fileExists(atPath: path))
      XCTAssertEqual(try entries().count, 1)
      XCTAssertTrue(try entries()[0].hasPrefix(".model.h5.tmp-"))
    }  // dropped without commit
    XCTAssertEqual(try entries(), [])

    // An existing file survives an abandoned rewrite and is replaced only by a commit.
    let first = try HDF5File.create(path)
    try first.write(Tensor([1] as [Int32]), to: "version")
    try first.commit()
    let second = try HDF5File.create(path)
    try second.write(Tensor([2] as [Int32]), to: "version")
    XCTAssertEqual(try HDF5File.open(path).read("version"), Tensor([1] as [Int32]))
    second.discard()
    XCTAssertEqual(try entries(), ["model.h5"])
    XCTAssertEqual(try HDF5File.open(path).read("version"), Tensor([1] as [Int32]))
    let third = try HDF5File.create(path)
    try third.write(Tensor([3] as [Int32]), to: "version")
    try third.commit()
    XCTAssertEqual(try HDF5File.open(path).read("version"), Tensor([3] as [Int32]))
    XCTAssertEqual(try entries(), ["model.h5"])
    XCTAssertThrowsError(try third.write(Tensor([4] as [Int32]), to: "late")) { error in
      XCTAssertTrue("\(error)".contains("closed"), "\(error)")
    }
  }

  func testErrorsNameFileObjectAndProblem() throws {
    let missing = directory + "/does-not-exist.h5"
    XCTAssertThrowsError(try HDF5File.open(missing)) { error in
      XCTAssertTrue(error is HDF5Error)
      XCTAssertEqual("\(error)", "HDF5 file '\(missing)': no such file")
    }
    let notHDF5 = directory + "/plain.txt"
    try AtomicFile.write(text: "not hdf5", to: notHDF5)
    XCTAssertThrowsError(try HDF5File.open(notHDF5)) { error in
      XCTAssertTrue("\(error)".contains("not an HDF5 file"), "\(error)")
    }
    let path = directory + "/e.h5"
    let file = try HDF5File.create(path)
    try file.write(Tensor([1] as [Float]), to: "params/W")
    XCTAssertThrowsError(try file.write(Tensor([1] as [Float]), to: "params/W")) { error in
      XCTAssertTrue("\(error)".contains("already exists"), "\(error)")
    }
    XCTAssertThrowsError(try file.createGroup("params/W/sub")) { error in
      XCTAssertEqual(
        "\(error)",
        "HDF5 file '\(path)', object '/params/W/sub': cannot create it: its parent '/params/W' is a "
          + "dataset, not a group")
    }
    XCTAssertThrowsError(try file.write(Tensor([1] as [Float]), to: "params/W/x")) { error in
      XCTAssertTrue("\(error)".contains("its parent '/params/W' is a dataset"), "\(error)")
    }
    try file.commit()
    let reader = try HDF5File.open(path)
    XCTAssertThrowsError(try reader.read("params/missing")) { error in
      XCTAssertEqual("\(error)", "HDF5 file '\(path)', object '/params/missing': no such dataset")
    }
    XCTAssertThrowsError(try reader.read("params")) { error in
      XCTAssertTrue("\(error)".contains("is a group, not a dataset"), "\(error)")
    }
    XCTAssertThrowsError(try reader.readStrings("params/W")) { error in
      XCTAssertTrue("\(error)".contains("not a string dataset"), "\(error)")
    }
    XCTAssertThrowsError(try reader.write(Tensor([1] as [Float]), to: "x")) { error in
      XCTAssertTrue("\(error)".contains("read-only"), "\(error)")
    }
    XCTAssertThrowsError(try reader.members(of: "params/W")) { error in
      XCTAssertTrue("\(error)".contains("not a group"), "\(error)")
    }
  }

  /// Tests/Fixtures/h5py-fixture.h5 was written by h5py (see make_h5py_fixture.py next to it).
  func testReadsFileWrittenByH5py() throws {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Fixtures/h5py-fixture.h5").path
    let file = try HDF5File.open(fixture)
    XCTAssertEqual(try file.attribute("title"), .string("meters"))  // fixed-length, NULLPAD
    XCTAssertEqual(try file.attribute("name"), .string("café"))  // variable-length UTF-8
    XCTAssertEqual(try file.attribute("rate"), .double(0.25))
    XCTAssertEqual(try file.attribute("steps"), .int(12))
    XCTAssertEqual(try file.attribute("sizes"), .ints([3, 4, 5]))
    XCTAssertEqual(try file.attribute("weights"), .doubles([0.5, 1.5]))
    XCTAssertEqual(try file.stringAttribute("unit", of: "data/f64"), "px")
    XCTAssertEqual(
      try file.read("data/f64"), Tensor(shape: [2, 3], [0, 0.25, 0.5, 0.75, 1, 1.25]))
    XCTAssertEqual(try file.read("data/i64"), Tensor([-5, 0, 7, Int32.max]))
    XCTAssertEqual(try file.read("data/mask"), Tensor([true, false, true]))
    XCTAssertEqual(try file.read("data/f16"), Tensor([1.5, -2] as [Float]))
    XCTAssertEqual(try file.readStrings("data/fixed"), ["ab", "hello", ""])
    XCTAssertEqual(try file.readStrings("data/text"), ["naïve", "日本語", ""])
    XCTAssertEqual(try file.read("data/u8"), Tensor(shape: [2, 2], [0, 200, 255, 7] as [Int32]))
    XCTAssertEqual(try file.info(of: "data/huge").dtype, .int32)
    XCTAssertThrowsError(try file.read("data/huge")) { error in
      XCTAssertTrue("\(error)".contains("1099511627776, outside the int32 range"), "\(error)")
    }
    XCTAssertEqual(
      try file.members(of: "data"), ["f16", "f64", "fixed", "huge", "i64", "mask", "text", "u8"])
  }
}
