import CHDF5
import SketchRuntime

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Library-level helpers for ``HDF5File``: error handling and the datatypes Sketch stores.
enum HDF5Library {
  /// Turns off the automatic printing of the HDF5 error stack to stderr, for the calling thread.
  ///
  /// The library is thread-safe and keeps one error stack per thread, so this runs on every entry.
  static func silenceErrors() {
    H5Eset_auto2(shim_H5E_DEFAULT(), nil, nil)
  }

  /// The innermost description on the calling thread's error stack (nil when empty); clears the stack.
  static func takeErrorMessage() -> String? {
    final class Collector { var messages: [String] = [] }
    let collector = Collector()
    let walker: H5E_walk2_t = { _, entry, data in
      guard let entry, let data else { return 0 }
      let collector = Unmanaged<Collector>.fromOpaque(data).takeUnretainedValue()
      if let desc = entry.pointee.desc {
        let text = String(cString: desc)
        if !text.isEmpty { collector.messages.append(text) }
      }
      return 0
    }
    withExtendedLifetime(collector) {
      _ = H5Ewalk2(
        shim_H5E_DEFAULT(), H5E_WALK_DOWNWARD, walker,
        Unmanaged.passUnretained(collector).toOpaque())
    }
    H5Eclear2(shim_H5E_DEFAULT())
    return collector.messages.last
  }

  /// A link-creation property list that creates missing intermediate groups; close with `H5Pclose`.
  static func linkCreationList() -> hid_t {
    let lcpl = H5Pcreate(shim_H5P_LINK_CREATE())
    H5Pset_create_intermediate_group(lcpl, 1)
    return lcpl
  }

  /// The Swift string of a NUL-terminated C buffer.
  static func string(from buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
  }

  // MARK: Datatypes

  /// The file datatype of `dtype` (close with `H5Tclose`): IEEE F32LE/F64LE, STD I32LE, and for bool an
  /// enum over STD U8LE with members FALSE = 0 and TRUE = 1 (one byte per element, read by h5py as bool).
  static func fileType(_ dtype: DType) -> hid_t {
    switch dtype {
    case .float32: return H5Tcopy(shim_H5T_IEEE_F32LE())
    case .float64: return H5Tcopy(shim_H5T_IEEE_F64LE())
    case .int32: return H5Tcopy(shim_H5T_STD_I32LE())
    case .bool: return boolType(base: shim_H5T_STD_U8LE())
    }
  }

  /// The in-memory datatype of `dtype` (close with `H5Tclose`).
  static func memoryType(_ dtype: DType) -> hid_t {
    switch dtype {
    case .float32: return H5Tcopy(shim_H5T_NATIVE_FLOAT())
    case .float64: return H5Tcopy(shim_H5T_NATIVE_DOUBLE())
    case .int32: return H5Tcopy(shim_H5T_NATIVE_INT32())
    case .bool: return boolType(base: shim_H5T_NATIVE_UINT8())
    }
  }

  private static func boolType(base: hid_t) -> hid_t {
    let type = H5Tenum_create(base)
    var no: UInt8 = 0
    var yes: UInt8 = 1
    H5Tenum_insert(type, "FALSE", &no)
    H5Tenum_insert(type, "TRUE", &yes)
    return type
  }

  /// A variable-length string datatype with UTF-8 character set (close with `H5Tclose`).
  static func variableStringType(cset: H5T_cset_t = H5T_CSET_UTF8) -> hid_t {
    let type = H5Tcopy(shim_H5T_C_S1())
    H5Tset_size(type, shim_H5T_VARIABLE())
    H5Tset_cset(type, cset)
    return type
  }

  /// What a stored datatype holds, as Sketch sees it.
  enum Stored: Equatable {
    case numeric(DType)
    case string
    case unsupported(String)
  }

  /// Classifies a file datatype: float (<= 4 bytes: float32, else float64), integer (int32), a
  /// FALSE/TRUE enum (bool), string; anything else is unsupported.
  static func classify(_ type: hid_t) -> Stored {
    let size = H5Tget_size(type)
    switch H5Tget_class(type) {
    case H5T_FLOAT: return .numeric(size <= 4 ? .float32 : .float64)
    case H5T_INTEGER: return .numeric(.int32)
    case H5T_STRING: return .string
    case H5T_ENUM:
      guard H5Tget_nmembers(type) == 2 else { return .unsupported("an enum type") }
      var names: Set<String> = []
      for index in 0..<2 {
        guard let name = H5Tget_member_name(type, UInt32(index)) else { continue }
        names.insert(String(cString: name))
        H5free_memory(name)
      }
      return names == ["FALSE", "TRUE"] ? .numeric(.bool) : .unsupported("an enum type")
    case H5T_COMPOUND: return .unsupported("a compound type")
    case H5T_ARRAY: return .unsupported("an array type")
    case H5T_VLEN: return .unsupported("a variable-length sequence type")
    case H5T_REFERENCE: return .unsupported("a reference type")
    case H5T_OPAQUE: return .unsupported("an opaque type")
    case H5T_BITFIELD: return .unsupported("a bitfield type")
    default: return .unsupported("an unknown type")
    }
  }

  /// Reads strings stored with `fileType` (fixed- or variable-length) through `read`, which must fill
  /// the buffer it is given, laid out for the memory type it is given. Returns nil if `read` fails.
  static func readStrings(
    fileType: hid_t, space: hid_t, count: Int, read: (hid_t, UnsafeMutableRawPointer) -> herr_t
  ) -> [String]? {
    if count == 0 { return [] }
    if H5Tis_variable_str(fileType) > 0 {
      let memType = variableStringType(cset: H5Tget_cset(fileType))
      defer { H5Tclose(memType) }
      var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
      let status = pointers.withUnsafeMutableBytes { read(memType, $0.baseAddress!) }
      guard status >= 0 else { return nil }
      let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
      _ = pointers.withUnsafeMutableBytes {
        H5Dvlen_reclaim(memType, space, hid_t(H5P_DEFAULT), $0.baseAddress!)
      }
      return strings
    }
    let size = H5Tget_size(fileType)
    guard size > 0 else { return nil }
    let memType = H5Tcopy(fileType)
    defer { H5Tclose(memType) }
    let padding = H5Tget_strpad(fileType)
    var bytes = [UInt8](repeating: 0, count: count * size)
    let status = bytes.withUnsafeMutableBytes { read(memType, $0.baseAddress!) }
    guard status >= 0 else { return nil }
    return (0..<count).map { index in
      var field = bytes[(index * size)..<((index + 1) * size)]
      if padding == H5T_STR_SPACEPAD {
        while let last = field.last, last == 0x20 || last == 0 { field = field.dropLast() }
      } else if let end = field.firstIndex(of: 0) {
        field = field[..<end]
      }
      return String(decoding: field, as: UTF8.self)
    }
  }

  /// Writes `strings` as variable-length UTF-8 through `write`, given the memory type and the buffer of
  /// C string pointers. Strings are cut at an embedded NUL.
  static func writeStrings(
    _ strings: [String], write: (hid_t, UnsafeRawPointer) -> herr_t
  ) -> herr_t {
    if strings.isEmpty { return 0 }
    let memType = variableStringType()
    defer { H5Tclose(memType) }
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return copies.withUnsafeBytes { write(memType, $0.baseAddress!) }
  }
}
