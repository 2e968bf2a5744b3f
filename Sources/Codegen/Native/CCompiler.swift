import Foundation
import Runtime

#if canImport(Glibc)
  import Glibc
#endif

/// An error from compiling generated C: the compiler's message and where the source is.
public struct CompileError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public var sourcePath: String?
  public var description: String {
    sourcePath.map { "\(message)\n(generated source: \($0))" } ?? message
  }
}

/// Runs the system C compiler on generated source and keeps the results in a per-user cache.
///
/// The compiler is `$CC` (default `cc`), the flags `$SKETCH_CFLAGS` (default
/// `-O3 -march=native -fPIC -shared -ffp-contract=off -fno-math-errno`). The cache is `$XDG_CACHE_HOME/sketch`, else
/// `~/.cache/sketch`, created with mode 0700 and refused when others can write to it (it holds code
/// that gets loaded). Entries are keyed by SHA-256 of the source, the flags and the compiler's
/// identity (`cc --version`), written under a temporary name and renamed, so two processes compiling
/// the same kernel are safe; an entry that fails to load is rebuilt.
public final class CCompiler: @unchecked Sendable {
  public let executable: String
  public let flags: [String]
  public let cacheDirectory: URL
  private var identityCache: String?
  private let lock = NSLock()

  public static let shared = CCompiler()

  public init(executable: String? = nil, flags: [String]? = nil, cacheDirectory: URL? = nil) {
    let env = ProcessInfo.processInfo.environment
    self.executable = executable ?? env["CC"].flatMap { $0.isEmpty ? nil : $0 } ?? "cc"
    self.flags = flags ?? env["SKETCH_CFLAGS"].map { $0.split(separator: " ").map(String.init) }
      ?? ["-O3", "-march=native", "-fPIC", "-shared", "-ffp-contract=off", "-fno-math-errno"]
    if let dir = cacheDirectory {
      self.cacheDirectory = dir
    } else if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty {
      self.cacheDirectory = URL(fileURLWithPath: xdg).appendingPathComponent("sketch")
    } else {
      self.cacheDirectory = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/sketch")
    }
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
      try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true,
        attributes: [.posixPermissions: 0o700])
    }
    var st = stat()
    guard stat(path, &st) == 0 else { throw CompileError(message: "cannot stat the compile cache \(path)") }
    if st.st_mode & 0o022 != 0 || st.st_uid != getuid() {
      throw CompileError(message: "refusing the compile cache \(path): it is writable by others or not owned by you "
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
  /// and linked into one library.
  public func library(for sources: [String]) throws -> (path: String, cached: Bool) {
    precondition(!sources.isEmpty)
    let dir = try ensureCache()
    let key = try key(for: sources.joined(separator: "\u{1}"))
    let so = dir.appendingPathComponent("\(key).so").path
    if FileManager.default.fileExists(atPath: so) { return (so, true) }
    let paths = sources.indices.map { i in
      dir.appendingPathComponent(sources.count == 1 ? "\(key).c" : "\(key).\(i).c").path
    }
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
    guard rename(tmp, so) == 0 else {
      throw CompileError(message: "cannot move the compiled library into the cache at \(so)", sourcePath: paths[0])
    }
    return (so, false)
  }

  /// Removes a cache entry (used when it fails to load).
  public func evict(_ path: String) { unlink(path) }

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
