#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A failure to write a file atomically: the target path and what went wrong.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable {
  /// The target path that could not be written (as given, not resolved).
  public let path: String
  /// What went wrong: the reason, or `strerror(errno)` of the failing call.
  public let message: String

  /// An error for writing `path` that failed with `message`.
  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  /// `cannot write 'PATH': MESSAGE`.
  public var description: String { "cannot write '\(path)': \(message)" }
}

/// Writes files so that the target path never holds a partial file.
///
/// The contents go to a temporary file in the target's directory (`.NAME.tmp-PID-RANDOM`), which is
/// flushed to disk and then renamed over the target (rename is atomic within a file system). On any
/// failure the temporary file is removed and the target is left as it was.
///
/// Only a missing path or a regular file is replaced: a target in a missing folder, a folder, a
/// symbolic link, a FIFO, a socket or a device is refused (``checkTarget(_:inputs:)``) before anything
/// is written and again just before the rename. A regular file being replaced keeps its permissions.
public enum AtomicFile {
  /// Throws an ``AtomicFileError`` unless `path` can be replaced by a rename: its folder exists and it
  /// is missing or a regular file, and it is not one of `inputs` (the files the command reads).
  /// Returns the permission bits of the existing file (nil when there is none).
  @discardableResult
  public static func checkTarget(_ path: String, inputs: [String] = []) throws -> mode_t? {
    let (directory, name) = split(path)
    guard !name.isEmpty else { throw AtomicFileError(path: path, message: "the path names a folder, not a file") }
    let folder = directory.isEmpty ? "." : directory == "/" ? "/" : String(directory.dropLast())
    var folderInfo = stat()
    guard stat(folder, &folderInfo) == 0 else {
      throw AtomicFileError(path: path, message: "the folder '\(folder)' does not exist; create it first")
    }
    guard folderInfo.st_mode & S_IFMT == S_IFDIR else {
      throw AtomicFileError(path: path, message: "'\(folder)' is not a folder")
    }
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    if let kind = InputFile.kindName(info.st_mode) {
      throw AtomicFileError(
        path: path, message: "is \(kind); only a regular file is replaced by an output, give another path")
    }
    if let identity = InputFile.identity(path),
      inputs.contains(where: { InputFile.identity($0) == identity })
    {
      throw AtomicFileError(
        path: path, message: "is also an input of this command; refusing to overwrite it, give another output path")
    }
    return info.st_mode & 0o7777
  }

  /// A fresh temporary path next to `path`: same directory, name `.NAME.tmp-PID-RANDOM`.
  public static func temporaryPath(for path: String) -> String {
    let (directory, name) = split(path)
    let random = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    return directory + ".\(name).tmp-\(getpid())-\(random)"
  }

  /// Calls `body` with a temporary path, which `body` must create and fill, then renames it to `path`.
  ///
  /// If `body` throws, or does not create the file, the temporary file is removed and the error is
  /// rethrown (an ``AtomicFileError`` when nothing was written).
  public static func write(to path: String, _ body: (String) throws -> Void) throws {
    try checkTarget(path)
    let temporary = temporaryPath(for: path)
    do {
      try body(temporary)
    } catch {
      discard(temporaryPath: temporary)
      throw error
    }
    try commit(temporaryPath: temporary, to: path)
  }

  /// Writes `data` to `path` atomically.
  public static func write(data: [UInt8], to path: String) throws {
    try write(to: path) { temporary in
      let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
      guard fd >= 0 else { throw AtomicFileError(path: path, message: errnoMessage()) }
      defer { close(fd) }
      var offset = 0
      while offset < data.count {
        let written = data.withUnsafeBytes { raw in
          posixWrite(fd, raw.baseAddress! + offset, data.count - offset)
        }
        if written < 0 {
          if errno == EINTR { continue }
          throw AtomicFileError(path: path, message: errnoMessage())
        }
        offset += written
      }
    }
  }

  /// Writes the UTF-8 bytes of `text` to `path` atomically.
  public static func write(text: String, to path: String) throws {
    try write(data: Array(text.utf8), to: path)
  }

  /// Flushes the finished temporary file to disk and renames it to `path`; removes it on failure.
  public static func commit(temporaryPath: String, to path: String) throws {
    var info = stat()
    guard stat(temporaryPath, &info) == 0 else {
      let message = errno == ENOENT ? "the writer produced no file" : errnoMessage()
      discard(temporaryPath: temporaryPath)
      throw AtomicFileError(path: path, message: message)
    }
    let mode: mode_t?
    do {
      mode = try checkTarget(path)
    } catch {
      discard(temporaryPath: temporaryPath)
      throw error
    }
    let fd = open(temporaryPath, O_RDONLY | O_CLOEXEC)
    if fd >= 0 {
      if let mode { _ = fchmod(fd, mode) }
      _ = fsync(fd)
      close(fd)
    }
    guard rename(temporaryPath, path) == 0 else {
      let message = errnoMessage()
      discard(temporaryPath: temporaryPath)
      throw AtomicFileError(path: path, message: "rename failed: \(message)")
    }
  }

  /// Removes a temporary file if it exists (errors are ignored).
  public static func discard(temporaryPath: String) {
    _ = unlink(temporaryPath)
  }

  /// `(directory with trailing slash or "", last component)` of `path`.
  private static func split(_ path: String) -> (String, String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    return (String(path[...slash]), String(path[path.index(after: slash)...]))
  }

  private static func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
      return Glibc.write(fd, bytes, count)
    #else
      return Darwin.write(fd, bytes, count)
    #endif
  }

  private static func errnoMessage() -> String {
    String(cString: strerror(errno))
  }
}
