#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file that cannot be read as an input: the path and why (missing, a folder, a FIFO, a device...).
public struct InputFileError: Error, CustomStringConvertible, Sendable {
  /// The path that cannot be read (as given).
  public let path: String
  /// Why: `no such file`, `is a folder, not a regular file`, `strerror(errno)`, ...
  public let message: String

  /// An error for reading `path`, refused with `message`.
  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  /// `PATH: MESSAGE`.
  public var description: String { "\(path): \(message)" }
}

/// The one check made before any input file is opened (datasets, models, XML and SVG files, archives):
/// it must exist and be a regular file (symbolic links are followed). A FIFO, a socket or a device is
/// refused, since reading one can block forever or never end.
public enum InputFile {
  /// The identity of an existing file (device and inode), to tell whether two paths name one file.
  public struct Identity: Hashable, Sendable {
    /// The ID of the device holding the file (`st_dev`).
    public let device: UInt64
    /// The file's inode number on that device (`st_ino`).
    public let inode: UInt64
  }

  /// Throws an ``InputFileError`` unless `path` is an existing regular file; returns its size in bytes.
  @discardableResult
  public static func requireRegular(_ path: String) throws -> Int {
    var info = stat()
    guard stat(path, &info) == 0 else {
      let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
      throw InputFileError(path: path, message: reason)
    }
    guard let kind = kindName(info.st_mode) else { return Int(info.st_size) }
    throw InputFileError(path: path, message: "is \(kind), not a regular file")
  }

  /// The identity of the file at `path` (links followed), or nil when there is none.
  public static func identity(_ path: String) -> Identity? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
  }

  /// What a non-regular file is ("a folder", "a FIFO (named pipe)", ...), or nil for a regular file.
  static func kindName(_ mode: mode_t) -> String? {
    switch mode & S_IFMT {
    case S_IFREG: return nil
    case S_IFDIR: return "a folder"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    case S_IFLNK: return "a symbolic link"
    default: return "a special file"
    }
  }
}
