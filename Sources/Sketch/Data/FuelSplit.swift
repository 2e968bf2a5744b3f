@preconcurrency import CHDF5
import Codegen
import Foundation
import SketchFiles

/// One row of the `split` attribute of Fuel's H5PYDataset layout: which rows of a source belong to a split.
struct FuelSplitEntry: Equatable {
  var split: String
  var source: String
  var start: Int
  var stop: Int
  var available: Bool = true
  /// Whether the row refers to an index dataset instead of a start/stop range (Sketch cannot use it).
  var usesIndexList: Bool = false
}

/// Reads and writes the `split` attribute of Fuel's H5PYDataset layout, the layout the original
/// notebook wrote with `H5PYDataset.create_split_array`: a 1-D compound attribute on the root group with
/// the fields `split` and `source` (fixed-length byte strings), `start` and `stop` (int64), then, in
/// newer Fuel versions, `indices` (an object reference, null for a range), `available` (bool) and
/// `comment` (a byte string, '.' when empty). Runtime's attribute API does not read compound types, so
/// this talks to the HDF5 library directly.
enum FuelSplit {
  /// The split rows of the file at `path`, or nil when it has no `split` attribute.
  static func read(path: String) throws -> [FuelSplitEntry]? {
    silence()
    let file = H5Fopen(path, shim_H5F_ACC_RDONLY(), hid_t(H5P_DEFAULT))
    guard file >= 0 else { throw DataError(path, "cannot open the HDF5 file to read its split") }
    defer { H5Fclose(file) }
    guard H5Aexists(file, "split") > 0 else { return nil }
    let attribute = H5Aopen(file, "split", hid_t(H5P_DEFAULT))
    guard attribute >= 0 else { throw bad(path, "cannot be opened") }
    defer { H5Aclose(attribute) }
    let fileType = H5Aget_type(attribute)
    defer { H5Tclose(fileType) }
    guard H5Tget_class(fileType) == H5T_COMPOUND else {
      throw bad(path, "is not a compound (Fuel H5PYDataset) split array")
    }
    let space = H5Aget_space(attribute)
    defer { H5Sclose(space) }
    let count = Int(H5Sget_simple_extent_npoints(space))
    guard count >= 0 else { throw bad(path, "has no readable shape") }

    // A memory type holding just the fields we use, in a packed layout of our own.
    var fields: [(name: String, type: hid_t, offset: Int, size: Int)] = []
    defer { fields.forEach { H5Tclose($0.type) } }
    var size = 0
    for name in ["split", "source", "start", "stop", "available", "indices"] {
      let index = H5Tget_member_index(fileType, name)
      if index < 0 {
        if ["split", "source", "start", "stop"].contains(name) { throw bad(path, "has no '\(name)' field") }
        continue
      }
      let memberType = H5Tget_member_type(fileType, UInt32(index))
      defer { H5Tclose(memberType) }
      let type: hid_t
      switch name {
      case "split", "source":
        guard H5Tget_class(memberType) == H5T_STRING, H5Tis_variable_str(memberType) <= 0 else {
          throw bad(path, "has a '\(name)' field that is not a fixed-length string")
        }
        type = H5Tcopy(memberType)
      case "start", "stop": type = H5Tcopy(H5T_NATIVE_LLONG_g)
      default: type = H5Tcopy(memberType)
      }
      let fieldSize = H5Tget_size(type)
      fields.append((name, type, size, fieldSize))
      size += fieldSize
    }
    let memoryType = H5Tcreate(H5T_COMPOUND, size)
    defer { H5Tclose(memoryType) }
    for field in fields { H5Tinsert(memoryType, field.name, field.offset, field.type) }
    var buffer = [UInt8](repeating: 0, count: max(1, size * count))
    let status = buffer.withUnsafeMutableBytes { H5Aread(attribute, memoryType, $0.baseAddress) }
    guard status >= 0 else { throw bad(path, "cannot be read") }

    func field(_ name: String) -> (offset: Int, size: Int)? {
      fields.first { $0.name == name }.map { ($0.offset, $0.size) }
    }
    func text(_ row: Int, _ name: String) -> String {
      guard let (offset, length) = field(name) else { return "" }
      let bytes = buffer[(row * size + offset)..<(row * size + offset + length)].prefix { $0 != 0 }
      return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }
    func integer(_ row: Int, _ name: String) -> Int {
      guard let (offset, _) = field(name) else { return 0 }
      return buffer.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: row * size + offset, as: Int64.self)) }
    }
    func nonzero(_ row: Int, _ name: String) -> Bool? {
      guard let (offset, length) = field(name) else { return nil }
      return buffer[(row * size + offset)..<(row * size + offset + length)].contains { $0 != 0 }
    }
    return (0..<count).map { row in
      FuelSplitEntry(
        split: text(row, "split"), source: text(row, "source"), start: integer(row, "start"),
        stop: integer(row, "stop"), available: nonzero(row, "available") ?? true,
        usesIndexList: nonzero(row, "indices") ?? false)
    }
  }

  /// Adds the `split` attribute, in the layout of Fuel's `create_split_array` (with the `indices`
  /// field, null), to the root group of the closed HDF5 file at `path`.
  static func write(_ entries: [FuelSplitEntry], toFileAt path: String) throws {
    silence()
    let file = H5Fopen(path, shim_H5F_ACC_RDWR(), hid_t(H5P_DEFAULT))
    guard file >= 0 else { throw DataError(path, "cannot reopen the new HDF5 file to add its split") }
    defer { H5Fclose(file) }
    let splitLength = max(1, entries.map { $0.split.utf8.count }.max() ?? 1)
    let sourceLength = max(1, entries.map { $0.source.utf8.count }.max() ?? 1)
    func fixedString(_ length: Int) -> hid_t {
      let type = H5Tcopy(shim_H5T_C_S1())
      H5Tset_size(type, length)
      H5Tset_strpad(type, H5T_STR_NULLPAD)
      return type
    }
    let splitType = fixedString(splitLength)
    let sourceType = fixedString(sourceLength)
    let commentType = fixedString(1)
    let boolType = H5Tenum_create(H5T_STD_I8LE_g)
    var no: Int8 = 0
    var yes: Int8 = 1
    H5Tenum_insert(boolType, "FALSE", &no)
    H5Tenum_insert(boolType, "TRUE", &yes)
    let referenceType = H5Tcopy(H5T_STD_REF_OBJ_g)
    let int64Type = H5Tcopy(shim_H5T_STD_I64LE())
    defer { [splitType, sourceType, commentType, boolType, referenceType, int64Type].forEach { H5Tclose($0) } }
    let referenceSize = H5Tget_size(referenceType)
    let layout: [(String, hid_t, Int)] = [
      ("split", splitType, splitLength), ("source", sourceType, sourceLength), ("start", int64Type, 8),
      ("stop", int64Type, 8), ("indices", referenceType, referenceSize), ("available", boolType, 1),
      ("comment", commentType, 1),
    ]
    let size = layout.reduce(0) { $0 + $1.2 }
    let type = H5Tcreate(H5T_COMPOUND, size)
    defer { H5Tclose(type) }
    var offset = 0
    for (name, member, length) in layout {
      H5Tinsert(type, name, offset, member)
      offset += length
    }
    var buffer = [UInt8](repeating: 0, count: size * entries.count)
    for (row, entry) in entries.enumerated() {
      var at = row * size
      func put(_ bytes: [UInt8], _ length: Int) {
        for (i, byte) in bytes.prefix(length).enumerated() { buffer[at + i] = byte }
        at += length
      }
      put(Array(entry.split.utf8), splitLength)
      put(Array(entry.source.utf8), sourceLength)
      put(withUnsafeBytes(of: Int64(entry.start).littleEndian, Array.init), 8)
      put(withUnsafeBytes(of: Int64(entry.stop).littleEndian, Array.init), 8)
      put([UInt8](repeating: 0, count: referenceSize), referenceSize)  // null reference: a range
      put([entry.available ? 1 : 0], 1)
      put([UInt8(ascii: ".")], 1)
    }
    var dims = [hsize_t(entries.count)]
    let space = H5Screate_simple(1, &dims, nil)
    defer { H5Sclose(space) }
    let attribute = H5Acreate2(file, "split", type, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
    guard attribute >= 0 else { throw DataError(path, "cannot create the split attribute") }
    defer { H5Aclose(attribute) }
    let status = buffer.withUnsafeBytes { H5Awrite(attribute, type, $0.baseAddress) }
    guard status >= 0 else { throw DataError(path, "cannot write the split attribute") }
  }

  private static func silence() {
    _ = H5open()
    H5Eset_auto2(shim_H5E_DEFAULT(), nil, nil)
  }

  private static func bad(_ path: String, _ message: String) -> DataError {
    DataError(
      path, "the 'split' attribute \(message)",
      hint: "Sketch reads the split written by Fuel's H5PYDataset.create_split_array")
  }
}
