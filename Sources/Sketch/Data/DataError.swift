import Codegen
import Foundation

/// A failure of a data command or of the data library: what went wrong, where, and how to fix it.
///
/// The description reads as one message: `PLACE: WHAT` and, when there is one, a line `hint: HOW`.
public struct DataError: Error, CustomStringConvertible, Sendable {
  /// The file, folder or object the problem is about (may be empty).
  public var place: String
  /// What went wrong.
  public var message: String
  /// How to fix it (may be empty).
  public var hint: String

  public init(_ place: String, _ message: String, hint: String = "") {
    self.place = place
    self.message = message
    self.hint = hint
  }

  public var description: String {
    var text = place.isEmpty ? message : "\(place): \(message)"
    if !hint.isEmpty { text += "\nhint: \(hint)" }
    return text
  }
}

/// Writes a line to standard error.
func printError(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Whether a file or folder exists at `path`, and whether it is a folder.
func fileKind(_ path: String) -> (exists: Bool, isDirectory: Bool) {
  var isDirectory: ObjCBool = false
  let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
  return (exists, isDirectory.boolValue)
}

/// Throws a ``DataError`` naming `path` unless it is an existing regular file (``InputFile``: a folder,
/// a FIFO or a device is refused, never opened).
func requireInputFile(_ path: String) throws {
  do {
    try InputFile.requireRegular(path)
  } catch let error as InputFileError {
    throw DataError(path, error.message)
  }
}

/// Reads a whole file, or throws a ``DataError`` naming it.
func readFileBytes(_ path: String) throws -> [UInt8] {
  try requireInputFile(path)
  guard let data = FileManager.default.contents(atPath: path) else { throw DataError(path, "cannot be read") }
  return [UInt8](data)
}

/// Throws a ``DataError`` unless `output` can be written by a rename (``AtomicFile/checkTarget(_:inputs:)``:
/// its folder exists, it is not a device, a FIFO, a link or a folder, and it is none of `inputs`).
func requireOutputFile(_ output: String, inputs: [String]) throws {
  do {
    try AtomicFile.checkTarget(output, inputs: inputs)
  } catch let error as AtomicFileError {
    throw DataError(output, error.message, hint: "give -o a new file or a regular file that is not an input")
  }
}

/// Every regular file under `root` (recursively) whose name ends with one of `suffixes` (case-insensitive),
/// as full paths sorted by their path relative to `root`, so that results do not depend on the file system.
func filesUnder(_ root: String, suffixes: [String]) -> [String] {
  guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
  var found: [String] = []
  let lowered = suffixes.map { $0.lowercased() }
  while let relative = enumerator.nextObject() as? String {
    let name = relative.lowercased()
    guard lowered.contains(where: { name.hasSuffix($0) }) else { continue }
    let full = root.hasSuffix("/") ? root + relative : root + "/" + relative
    if !fileKind(full).isDirectory { found.append(relative) }
  }
  found.sort()
  return found.map { root.hasSuffix("/") ? root + $0 : root + "/" + $0 }
}

/// `path` relative to `root` when it lies under it, else `path` unchanged.
func relativePath(_ path: String, to root: String) -> String {
  let prefix = root.hasSuffix("/") ? root : root + "/"
  return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
}
