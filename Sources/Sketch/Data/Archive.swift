import Foundation

/// A folder in the temporary directory that is removed when the value is dropped.
final class TemporaryFolder {
  let path: String

  init(prefix: String) throws {
    let base = NSTemporaryDirectory()
    var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast())
    template += Array("\(prefix)-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else {
      throw DataError(base, "cannot create a temporary folder", hint: "check that TMPDIR is writable")
    }
    path = String(cString: made)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Unpacks `.tar`, `.tar.gz` and `.tgz` archives with the system `tar`.
enum Archive {
  /// Whether `path` names an archive this can unpack.
  static func isArchive(_ path: String) -> Bool {
    let lower = path.lowercased()
    return lower.hasSuffix(".tar.gz") || lower.hasSuffix(".tgz") || lower.hasSuffix(".tar")
  }

  /// Unpacks the archive at `path` into a new temporary folder. A truncated or corrupt archive is an
  /// error (tar reports it), and nothing is left behind.
  static func extract(_ path: String) throws -> TemporaryFolder {
    let kind = fileKind(path)
    guard kind.exists, !kind.isDirectory else { throw DataError(path, "no such archive") }
    guard let tar = ["/usr/bin/tar", "/bin/tar"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
    else {
      throw DataError(
        path, "cannot unpack the archive: the 'tar' program is missing",
        hint: "install tar, or unpack the archive yourself and pass the folder")
    }
    let folder = try TemporaryFolder(prefix: "sketch-archive")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tar)
    process.arguments = ["-x", "-f", path, "-C", folder.path]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw DataError(path, "cannot run \(tar): \(error)")
    }
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let text = String(decoding: message, as: UTF8.self)
        .split(separator: "\n").prefix(3).joined(separator: "; ")
      throw DataError(
        path, "the archive is truncated or corrupt (tar: \(text))",
        hint: "download it again, or unpack it yourself and pass the folder")
    }
    return folder
  }
}
