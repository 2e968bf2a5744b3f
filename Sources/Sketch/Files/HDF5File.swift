import CHDF5
import SketchRuntime

/// A failed HDF5 operation: the file, the object inside it and what went wrong.
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
  /// The path of the file on disk.
  public let file: String
  /// The path of the object inside the file (`/params/lstm0/W`), when the error concerns one.
  public let object: String?
  /// What went wrong, in our words.
  public let message: String
  /// The innermost message of the HDF5 library's error stack, when the library reported one.
  public let detail: String?

  /// An error about `object` (nil: the file itself) in `file`.
  public init(file: String, object: String?, message: String, detail: String? = nil) {
    self.file = file
    self.object = object
    self.message = message
    self.detail = detail
  }

  public var description: String {
    var text = "HDF5 file '\(file)'"
    if let object { text += ", object '\(object)'" }
    text += ": \(message)"
    if let detail { text += " (HDF5: \(detail))" }
    return text
  }
}

/// What an object in an HDF5 file is.
public enum HDF5ObjectKind: Sendable, Hashable {
  case group, dataset, other
}

/// An HDF5 file, opened read-only or being created, with safe access to groups, datasets and attributes.
///
/// A file being created is written under a hidden temporary name in the target's directory and renamed
/// into place by ``commit()`` (or ``close()``). Dropped without a commit, it is removed; after a crash
/// only the hidden temporary file remains. Either way the target path never holds a half-written file.
/// Object paths are relative to the root (`"params/lstm0/W"`; a leading `/` is allowed).
///
/// Every call silences the library's automatic error printing on the calling thread and reports failures
/// as ``HDF5Error``. Instances are not thread-safe; use one per thread.
public final class HDF5File {
  /// The path of the file on disk (the target path for a file being created).
  public let path: String
  /// Whether the file was created by this object (and so is writable).
  public let isWritable: Bool
  /// The HDF5 file id; negative once closed.
  private(set) var id: hid_t
  /// Where a file being created is written until it is committed.
  private let temporaryPath: String?
  /// The size of a file opened for reading, in bytes (no dataset can claim much more); Int.max for a
  /// file being created.
  let fileSize: Int

  private init(path: String, isWritable: Bool, id: hid_t, temporaryPath: String?, fileSize: Int = .max) {
    self.path = path
    self.isWritable = isWritable
    self.id = id
    self.temporaryPath = temporaryPath
    self.fileSize = fileSize
  }

  /// Starts a new file for writing at `path` (replacing any file there once committed); a target that
  /// ``AtomicFile/checkTarget(_:inputs:)`` refuses (a missing folder, a device, a FIFO...) throws its
  /// ``AtomicFileError`` before anything is created.
  public static func create(_ path: String) throws -> HDF5File {
    try AtomicFile.checkTarget(path)
    HDF5Library.silenceErrors()
    let temporary = AtomicFile.temporaryPath(for: path)
    let fapl = H5Pcreate(shim_H5P_FILE_ACCESS())
    defer { H5Pclose(fapl) }
    // Closing the file closes everything in it, so the data is complete before the rename.
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG)
    let fid = H5Fcreate(temporary, shim_H5F_ACC_TRUNC(), hid_t(H5P_DEFAULT), fapl)
    guard fid >= 0 else {
      let detail = HDF5Library.takeErrorMessage()
      AtomicFile.discard(temporaryPath: temporary)
      throw HDF5Error(file: path, object: nil, message: "cannot create the file", detail: detail)
    }
    return HDF5File(path: path, isWritable: true, id: fid, temporaryPath: temporary)
  }

  /// Opens an existing file read-only (a regular file, ``InputFile``). Readers of untrusted files run
  /// their whole reading first in ``HDF5Probe/dryRun(_:size:_:)``.
  public static func open(_ path: String) throws -> HDF5File {
    HDF5Library.silenceErrors()
    let size: Int
    do {
      size = try InputFile.requireRegular(path)
    } catch let error as InputFileError {
      throw HDF5Error(file: path, object: nil, message: error.message)
    }
    guard H5Fis_hdf5(path) > 0 else {
      _ = HDF5Library.takeErrorMessage()
      throw HDF5Error(file: path, object: nil, message: "not an HDF5 file")
    }
    let fid = H5Fopen(path, shim_H5F_ACC_RDONLY(), hid_t(H5P_DEFAULT))
    guard fid >= 0 else {
      throw HDF5Error(
        file: path, object: nil, message: "cannot open the file",
        detail: HDF5Library.takeErrorMessage())
    }
    return HDF5File(path: path, isWritable: false, id: fid, temporaryPath: nil, fileSize: size)
  }

  /// A file being created that was never committed is closed and its temporary file removed.
  deinit { discard() }

  /// Whether the file is still open.
  public var isOpen: Bool { id >= 0 }

  /// Finishes a file being created: closes it and renames it to ``path``.
  public func commit() throws {
    HDF5Library.silenceErrors()
    guard isWritable else { throw error(nil, "commit() on a file opened read-only") }
    guard id >= 0, let temporaryPath else { throw error(nil, "the file is already closed") }
    let status = H5Fclose(id)
    id = -1
    guard status >= 0 else {
      let detail = HDF5Library.takeErrorMessage()
      AtomicFile.discard(temporaryPath: temporaryPath)
      throw HDF5Error(file: path, object: nil, message: "closing the file failed", detail: detail)
    }
    do {
      try AtomicFile.commit(temporaryPath: temporaryPath, to: path)
    } catch let failure as AtomicFileError {
      throw HDF5Error(file: path, object: nil, message: failure.message)
    }
  }

  /// Closes the file; a file being created is committed (see ``commit()``). Closing twice does nothing.
  public func close() throws {
    guard id >= 0 else { return }
    if isWritable { return try commit() }
    HDF5Library.silenceErrors()
    let status = H5Fclose(id)
    id = -1
    if status < 0 { throw error(nil, "closing the file failed") }
  }

  /// Abandons a file being created: closes it and removes the temporary file. The target is untouched.
  public func discard() {
    guard id >= 0 else { return }
    HDF5Library.silenceErrors()
    H5Fclose(id)
    id = -1
    if let temporaryPath { AtomicFile.discard(temporaryPath: temporaryPath) }
  }

  // MARK: Objects and groups

  /// Whether an object (group or dataset) exists at `objectPath`.
  public func exists(_ objectPath: String) -> Bool {
    HDF5Library.silenceErrors()
    guard id >= 0 else { return false }
    let parts = HDF5File.components(objectPath)
    var prefix = ""
    for part in parts {
      prefix += prefix.isEmpty ? part : "/" + part
      if H5Lexists(id, prefix, hid_t(H5P_DEFAULT)) <= 0 {
        _ = HDF5Library.takeErrorMessage()
        return false
      }
    }
    return parts.isEmpty || H5Oexists_by_name(id, prefix, hid_t(H5P_DEFAULT)) > 0
  }

  /// Whether the object at `objectPath` is a group or a dataset.
  public func kind(of objectPath: String) throws -> HDF5ObjectKind {
    try requireOpen(objectPath)
    let name = HDF5File.normalized(objectPath)
    guard exists(name) else { throw error(objectPath, "no such object") }
    var info = H5O_info_t()
    guard H5Oget_info_by_name2(id, name, &info, UInt32(H5O_INFO_BASIC), hid_t(H5P_DEFAULT)) >= 0
    else {
      throw error(objectPath, "cannot inspect the object", library: true)
    }
    switch info.type {
    case H5O_TYPE_GROUP: return .group
    case H5O_TYPE_DATASET: return .dataset
    default: return .other
    }
  }

  /// Creates the group at `groupPath` and any missing parents; an existing group is left as it is.
  public func createGroup(_ groupPath: String) throws {
    try requireWritable(groupPath)
    let name = HDF5File.normalized(groupPath)
    if name == "." { return }
    if exists(name) {
      guard try kind(of: name) == .group else {
        throw error(groupPath, "exists and is not a group")
      }
      return
    }
    try requireParentGroups(groupPath)
    let lcpl = HDF5Library.linkCreationList()
    defer { H5Pclose(lcpl) }
    let gid = H5Gcreate2(id, name, lcpl, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
    guard gid >= 0 else { throw error(groupPath, "cannot create the group", library: true) }
    H5Gclose(gid)
  }

  /// The names of the members (groups and datasets) of a group, sorted by name.
  public func members(of groupPath: String = "/") throws -> [String] {
    try requireOpen(groupPath)
    let name = HDF5File.normalized(groupPath)
    guard try kind(of: name) == .group else { throw error(groupPath, "is not a group") }
    let gid = H5Gopen2(id, name, hid_t(H5P_DEFAULT))
    guard gid >= 0 else { throw error(groupPath, "cannot open the group", library: true) }
    defer { H5Gclose(gid) }
    var info = H5G_info_t()
    guard H5Gget_info(gid, &info) >= 0 else {
      throw error(groupPath, "cannot list the group", library: true)
    }
    var names: [String] = []
    for index in 0..<info.nlinks {
      let length = H5Lget_name_by_idx(
        gid, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, hid_t(H5P_DEFAULT))
      guard length >= 0 else { throw error(groupPath, "cannot read a member name", library: true) }
      var buffer = [CChar](repeating: 0, count: Int(length) + 1)
      H5Lget_name_by_idx(
        gid, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, hid_t(H5P_DEFAULT))
      names.append(HDF5Library.string(from: buffer))
    }
    return names
  }

  // MARK: Internal helpers shared by the dataset and attribute extensions

  /// An ``HDF5Error`` about `objectPath` (nil: the file), with the library's message when `library`.
  func error(_ objectPath: String?, _ message: String, library: Bool = false) -> HDF5Error {
    let detail = library ? HDF5Library.takeErrorMessage() : nil
    if !library { _ = HDF5Library.takeErrorMessage() }
    return HDF5Error(
      file: path, object: objectPath.map { HDF5File.display($0) }, message: message, detail: detail)
  }

  func requireOpen(_ objectPath: String?) throws {
    HDF5Library.silenceErrors()
    guard id >= 0 else { throw error(objectPath, "the file is closed") }
  }

  func requireWritable(_ objectPath: String?) throws {
    try requireOpen(objectPath)
    guard isWritable else { throw error(objectPath, "the file is open read-only") }
  }

  /// Throws unless every existing parent of `objectPath` is a group (missing ones will be created).
  func requireParentGroups(_ objectPath: String) throws {
    var prefix = ""
    for part in HDF5File.components(objectPath).dropLast() {
      prefix += prefix.isEmpty ? part : "/" + part
      guard exists(prefix) else { return }
      let found = try kind(of: prefix)
      if found != .group {
        throw error(
          objectPath, "cannot create it: its parent '/\(prefix)' is a \(found), not a group")
      }
    }
  }

  /// Opens an existing object of the expected kind; the caller closes it with `H5Oclose`.
  func openObject(_ objectPath: String, expecting expected: HDF5ObjectKind? = nil) throws -> hid_t {
    try requireOpen(objectPath)
    let name = HDF5File.normalized(objectPath)
    guard exists(name) else {
      let what =
        expected == .dataset
        ? "no such dataset" : expected == .group ? "no such group" : "no such object"
      throw error(objectPath, what)
    }
    if let expected {
      let actual = try kind(of: name)
      guard actual == expected else { throw error(objectPath, "is a \(actual), not a \(expected)") }
    }
    let oid = H5Oopen(id, name, hid_t(H5P_DEFAULT))
    guard oid >= 0 else { throw error(objectPath, "cannot open the object", library: true) }
    return oid
  }

  /// The non-empty components of an object path.
  static func components(_ objectPath: String) -> [String] {
    objectPath.split(separator: "/").map(String.init).filter { $0 != "." }
  }

  /// The path as passed to HDF5: components joined by `/`, or `.` for the root.
  static func normalized(_ objectPath: String) -> String {
    let parts = components(objectPath)
    return parts.isEmpty ? "." : parts.joined(separator: "/")
  }

  /// The path as shown in messages: absolute, `/` for the root.
  static func display(_ objectPath: String) -> String {
    "/" + components(objectPath).joined(separator: "/")
  }
}
