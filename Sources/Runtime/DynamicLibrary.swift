#if canImport(Glibc)
  import Glibc
#endif

/// An error from the dynamic loader, with `dlerror()`'s message.
public struct DynamicLibraryError: Error, CustomStringConvertible, Sendable {
  public let path: String
  public let message: String
  public var description: String { "cannot load \(path): \(message)" }
}

/// A shared library opened with `dlopen(RTLD_NOW | RTLD_LOCAL)`; closed when released.
///
/// dlopen of a path that is already open returns the old handle (and the old code), so callers give
/// every build a unique file name.
public final class DynamicLibrary: @unchecked Sendable {
  public let path: String
  private let handle: UnsafeMutableRawPointer

  public init(path: String) throws {
    _ = dlerror()
    guard let h = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
      throw DynamicLibraryError(path: path, message: dlerror().map { String(cString: $0) } ?? "unknown error")
    }
    self.path = path
    self.handle = h
  }

  /// The address of `symbol`.
  public func symbol(_ symbol: String) throws -> UnsafeMutableRawPointer {
    _ = dlerror()
    guard let p = dlsym(handle, symbol) else {
      throw DynamicLibraryError(path: path, message: dlerror().map { String(cString: $0) } ?? "no symbol \(symbol)")
    }
    return p
  }

  deinit { dlclose(handle) }
}
