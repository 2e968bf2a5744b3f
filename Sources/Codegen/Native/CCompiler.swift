import Foundation
import SketchRuntime

#if canImport(Glibc)
  import Glibc
#endif

/// An error from compiling generated C: the compiler's message and where the source is.
public struct CompileError: Error, CustomStringConvertible, Sendable {
  /// What failed: the compiler's exit status and output, or the cache, spawn or load step that failed.
  public var message: String
  /// The generated C file the compiler failed on (kept in the cache folder), when there is one.
  public var sourcePath: String?
  /// The message, then `(generated source: PATH)` on a line of its own when there is a source path.
  public var description: String {
    sourcePath.map { "\(message)\n(generated source: \($0))" } ?? message
  }
}

/// Runs the system C compiler on generated source and keeps the results in a per-user cache.
///
/// The compiler is `$CC` (default `cc`), the flags `$SKETCH_CFLAGS` (default
/// `-O3 -march=native -fPIC -shared -ffp-contract=off -fno-math-errno`). The cache is `$XDG_CACHE_HOME/sketch`
/// (an absolute `XDG_CACHE_HOME` only; a relative one is ignored, as the XDG specification says), else
/// `~/.cache/sketch`, created with mode 0700 and refused when it is a symbolic link or others can write
/// to it (it holds code that gets loaded). Entries are keyed by SHA-256 of the source, the flags and
/// the compiler's identity (`cc --version`), written under a temporary name and renamed, so two
/// processes compiling the same kernel are safe.
///
/// Every entry is sealed when written: a trailer after the library records its size and SHA-256
/// (`seal(_:)`), and the library holds `sk_cache_key()`, which returns its key. ``load(_:)`` verifies
/// an entry before `dlopen` (a regular file, not a symbolic link, owned by the user and writable by
/// no one else, with a trailer that matches its contents) and checks after loading that it has
/// `sk_main` and was built for this key; an entry that fails any check is removed and rebuilt.
public final class CCompiler: @unchecked Sendable {
  /// The C compiler run (looked up in PATH): the one given, else `$CC` when not empty, else `cc`.
  public let executable: String
  /// The flags of every compile: the ones given, else `$SKETCH_CFLAGS` split at spaces, else the defaults.
  public let flags: [String]
  /// Where libraries are kept: the folder given, else `$XDG_CACHE_HOME/sketch` (absolute), else `~/.cache/sketch`.
  public let cacheDirectory: URL
  private var identityCache: String?
  private let lock = NSLock()

  /// The compiler of the environment's settings (read once), which compiled functions use.
  public static let shared = CCompiler()

  /// A compiler with the given settings, each one not given taken from the environment (see the
  /// properties); nothing is run or created until it is used.
  public init(executable: String? = nil, flags: [String]? = nil, cacheDirectory: URL? = nil) {
    let env = ProcessInfo.processInfo.environment
    self.executable = executable ?? env["CC"].flatMap { $0.isEmpty ? nil : $0 } ?? "cc"
    self.flags =
      flags ?? env["SKETCH_CFLAGS"].map { $0.split(separator: " ").map(String.init) }
      ?? ["-O3", "-march=native", "-fPIC", "-shared", "-ffp-contract=off", "-fno-math-errno"]
    self.cacheDirectory =
      cacheDirectory
      ?? Self.defaultCacheDirectory(
        environment: env, home: FileManager.default.homeDirectoryForCurrentUser.path)
  }

  /// `$XDG_CACHE_HOME/sketch` when XDG_CACHE_HOME is an absolute path, else `HOME/.cache/sketch`.
  static func defaultCacheDirectory(environment: [String: String], home: String) -> URL {
    if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
      return URL(fileURLWithPath: xdg).appendingPathComponent("sketch")
    }
    return URL(fileURLWithPath: home).appendingPathComponent(".cache/sketch")
  }

  /// `cc --version`'s first line (part of every cache key); throws if the compiler cannot run.
  public func identity() throws -> String {
    lock.lock()
    defer { lock.unlock() }
    if let id = identityCache { return id }
    let (status, out) = try Self.run(executable, ["--version"])
    guard status == 0 else { throw CompileError(message: "\(executable) --version failed (status \(status)): \(out)") }
    let id = out.split(separator: "\n").first.map(String.init) ?? out
    identityCache = id
    return id
  }

  /// The cache directory, created 0700 if missing; refused if group or others can write to it.
  public func ensureCache() throws -> URL {
    let path = cacheDirectory.path
    if !FileManager.default.fileExists(atPath: path) {
      try FileManager.default.createDirectory(
        at: cacheDirectory, withIntermediateDirectories: true,
        attributes: [.posixPermissions: 0o700])
    }
    var st = stat()
    guard lstat(path, &st) == 0 else { throw CompileError(message: "cannot stat the compile cache \(path)") }
    if st.st_mode & S_IFMT != S_IFDIR {
      throw CompileError(
        message: "refusing the compile cache \(path): it is not a folder (a symbolic link "
          + "or a file; links are not followed in the cache); remove it or set XDG_CACHE_HOME")
    }
    if st.st_mode & 0o022 != 0 || st.st_uid != getuid() {
      throw CompileError(
        message: "refusing the compile cache \(path): it is writable by others or not owned by you "
          + "(it holds code that gets loaded); fix with `chmod 700 \(path)` or set XDG_CACHE_HOME")
    }
    return cacheDirectory
  }

  /// The cache key of a source.
  public func key(for source: String) throws -> String {
    SHA256.hex(source + "\u{0}" + flags.joined(separator: " ") + "\u{0}" + (try identity()))
  }

  /// The path of the compiled library for `source` and whether it came from the cache.
  public func library(for source: String) throws -> (path: String, cached: Bool) {
    try library(for: [source])
  }

  /// The same for a source in several translation units, compiled side by side (one process each)
  /// and linked into one library. A cached entry is used only when ``verify(_:)`` accepts it; a bad
  /// one is removed and rebuilt.
  public func library(for sources: [String]) throws -> (path: String, cached: Bool) {
    precondition(!sources.isEmpty)
    let dir = try ensureCache()
    let key = try key(for: sources.joined(separator: "\u{1}"))
    let so = dir.appendingPathComponent("\(key).so").path
    var info = stat()
    if lstat(so, &info) == 0 {
      if verify(so) { return (so, true) }
      evict(so)
    }
    try build(sources, key: key, into: dir, at: so)
    return (so, false)
  }

  /// The library for `sources`, loaded: from the cache when its entry passes ``verify(_:)`` and, once
  /// loaded, has `sk_main` and `sk_cache_key()` returns its key; any other entry is removed and
  /// rebuilt (once).
  public func load(_ sources: [String]) throws -> (library: DynamicLibrary, path: String, cached: Bool) {
    let key = try key(for: sources.joined(separator: "\u{1}"))
    var (path, cached) = try library(for: sources)
    do {
      return (try open(path, key: key), path, cached)
    } catch {
      guard cached else { throw error }
      evict(path)
      (path, cached) = try library(for: sources)
      return (try open(path, key: key), path, cached)
    }
  }

  /// Loads `path` and checks that it is a library built for `key` with an entry point.
  private func open(_ path: String, key: String) throws -> DynamicLibrary {
    let library = try DynamicLibrary(path: path)
    _ = try library.symbol("sk_main")
    typealias KeyFunction = @convention(c) () -> UnsafePointer<CChar>
    let embedded = String(cString: unsafeBitCast(try library.symbol("sk_cache_key"), to: KeyFunction.self)())
    guard embedded == key else {
      throw CompileError(message: "\(path) was built for the key \(embedded), not \(key)")
    }
    return library
  }

  /// The C function that every library gets: its cache key, checked after loading.
  static func keyFunction(_ key: String) -> String {
    "\n/* The compile-cache key of this library (checked after dlopen). */\n"
      + "__attribute__((visibility(\"default\"))) const char* sk_cache_key(void) { return \"\(key)\"; }\n"
  }

  /// Compiles `sources` (with the key function) and puts the sealed library at `so`.
  private func build(_ sources: [String], key: String, into dir: URL, at so: String) throws {
    let paths = sources.indices.map { i in
      dir.appendingPathComponent(sources.count == 1 ? "\(key).c" : "\(key).\(i).c").path
    }
    var sources = sources
    sources[0] += Self.keyFunction(key)
    for (source, c) in zip(sources, paths) {
      try AtomicFile.write(data: Array(source.utf8), to: c)
      if ProcessInfo.processInfo.environment["SKETCH_PRINT_C"] != nil {
        FileHandle.standardError.write(Data("--- sketch: compiling \(c)\n\(source)\n".utf8))
      }
    }
    let unique = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let tmp = dir.appendingPathComponent(".\(key).tmp-\(unique).so").path
    defer { unlink(tmp) }
    if sources.count == 1 {
      let (status, out) = try Self.run(executable, flags + ["-o", tmp, paths[0], "-lm"])
      guard status == 0 else {
        throw CompileError(message: "\(executable) failed (status \(status)):\n\(out)", sourcePath: paths[0])
      }
    } else {
      let objects = paths.indices.map { dir.appendingPathComponent(".\(key).tmp-\(unique).\($0).o").path }
      defer { for o in objects { unlink(o) } }
      final class Results: @unchecked Sendable {
        var values: [Result<(Int32, String), Error>?]
        let lock = NSLock()
        init(_ n: Int) { values = Array(repeating: nil, count: n) }
      }
      let results = Results(paths.count)
      let (executable, flags) = (self.executable, self.flags)
      DispatchQueue.concurrentPerform(iterations: paths.count) { i in
        let r = Result { try Self.run(executable, flags + ["-c", "-o", objects[i], paths[i]]) }
        results.lock.withLock { results.values[i] = r }
      }
      for (i, r) in results.values.enumerated() {
        let (status, out) = try r!.get()
        guard status == 0 else {
          throw CompileError(message: "\(executable) failed (status \(status)):\n\(out)", sourcePath: paths[i])
        }
      }
      let (status, out) = try Self.run(executable, flags + ["-o", tmp] + objects + ["-lm"])
      guard status == 0 else {
        throw CompileError(message: "\(executable) failed to link (status \(status)):\n\(out)", sourcePath: paths[0])
      }
    }
    guard let built = FileManager.default.contents(atPath: tmp) else {
      throw CompileError(message: "\(executable) wrote no library at \(tmp)", sourcePath: paths[0])
    }
    try AtomicFile.write(data: Self.seal([UInt8](built)), to: tmp)
    guard rename(tmp, so) == 0 else {
      throw CompileError(message: "cannot move the compiled library into the cache at \(so)", sourcePath: paths[0])
    }
  }

  /// Removes a cache entry (used when it fails a check or fails to load).
  public func evict(_ path: String) { unlink(path) }

  // MARK: Sealed entries

  /// The 8 bytes that start an entry's trailer.
  static let trailerMagic = Array("SKCACHE1".utf8)
  /// Trailer: the magic, the library's size (8 bytes, little-endian) and its SHA-256 (32 bytes).
  static let trailerSize = 8 + 8 + 32

  /// `library` followed by its trailer. The dynamic loader ignores bytes past the ELF's end.
  static func seal(_ library: [UInt8]) -> [UInt8] {
    var size = UInt64(library.count).littleEndian
    return library + trailerMagic + withUnsafeBytes(of: &size) { Array($0) } + SHA256.hash(library)
  }

  /// Whether the entry at `path` may be loaded: a regular file (a symbolic link is not followed),
  /// owned by the user, writable by no one else, whose trailer records its size and SHA-256.
  public func verify(_ path: String) -> Bool {
    var info = stat()
    guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == getuid(),
      info.st_mode & 0o022 == 0, Int(info.st_size) > Self.trailerSize,
      let data = FileManager.default.contents(atPath: path)
    else { return false }
    let bytes = [UInt8](data)
    let body = bytes.count - Self.trailerSize
    guard Array(bytes[body..<(body + 8)]) == Self.trailerMagic else { return false }
    var size: UInt64 = 0
    for i in 0..<8 { size |= UInt64(bytes[body + 8 + i]) << (8 * UInt64(i)) }
    guard size == UInt64(body) else { return false }
    return SHA256.hash(Array(bytes[..<body])) == Array(bytes[(body + 16)...])
  }

  /// Runs a program (searching PATH) with posix_spawn; returns its status and its stdout+stderr.
  static func run(_ program: String, _ args: [String]) throws -> (Int32, String) {
    let logPath = NSTemporaryDirectory() + "sketch-cc-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
    defer { unlink(logPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv: [UnsafeMutablePointer<CChar>?] = ([program] + args).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, program, &actions, nil, argv, environ)
    guard rc == 0 else {
      throw CompileError(message: "cannot run the C compiler '\(program)': \(String(cString: strerror(rc)))")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let out = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    let exited = (status & 0x7f) == 0
    return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), out)
  }
}
