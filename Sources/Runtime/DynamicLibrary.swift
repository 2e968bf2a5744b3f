#if canImport(Glibc)
  import Glibc
#endif

/// An error from the dynamic loader, with `dlerror()`'s message.
public struct DynamicLibraryError: Error, CustomStringConvertible, Sendable {
  /// The library that could not be loaded, or whose symbol could not be found.
  public let path: String
  /// `dlerror()`'s message (`unknown error`, or `no symbol NAME`, when it gives none).
  public let message: String
  /// `cannot load PATH: MESSAGE`.
  public var description: String { "cannot load \(path): \(message)" }
}

/// A shared library opened with `dlopen(RTLD_NOW | RTLD_LOCAL)`; closed when released.
///
/// dlopen of a path that is already open returns the old handle (and the old code), so callers give
/// every build a unique file name.
public final class DynamicLibrary: @unchecked Sendable {
  /// The path the library was opened from.
  public let path: String
  private let handle: UnsafeMutableRawPointer

  /// Opens the library at `path`, resolving all its symbols now; throws a ``DynamicLibraryError`` with
  /// `dlerror()`'s message when `dlopen` fails.
  public init(path: String) throws {
    _ = dlerror()
    guard let h = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
      throw DynamicLibraryError(path: path, message: dlerror().map { String(cString: $0) } ?? "unknown error")
    }
    self.path = path
    self.handle = h
  }

  /// The address of `symbol`; throws a ``DynamicLibraryError`` when the library does not define it.
  public func symbol(_ symbol: String) throws -> UnsafeMutableRawPointer {
    _ = dlerror()
    guard let p = dlsym(handle, symbol) else {
      throw DynamicLibraryError(path: path, message: dlerror().map { String(cString: $0) } ?? "no symbol \(symbol)")
    }
    return p
  }

  deinit { dlclose(handle) }
}
