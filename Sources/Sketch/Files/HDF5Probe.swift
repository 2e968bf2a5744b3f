import Foundation
import SketchRuntime

#if canImport(Glibc)
  import Glibc
#endif

/// A guard against crashes and endless loops inside libhdf5 on damaged files.
///
/// libhdf5 1.10 (Debian 12's 1.10.8) trusts much of what it reads: a damaged global-heap reference
/// makes it copy from a wild address (`H5HG_read` only asserts the object index; 1.14 checks it),
/// a damaged attribute table makes it free what it never opened, and some damaged headers make it
/// loop forever (all found by FuzzTests). No check before opening can foresee these, so a file is
/// first read in a forked child, by the same code that will read it (``dryRun(_:size:_:)``): if the
/// child is killed by a signal, or does not finish in time, the file is refused as damaged, and the
/// process itself never runs into the crash.
///
/// A fork copies only the calling thread: in a process whose other threads may hold a lock the child
/// needs (a test runner's), the child can hang and a good file be refused after the time limit. The
/// `sketch` command opens its dataset and model before it compiles (and so before the native worker
/// threads start); code that reads files it
/// wrote itself in a busy process can skip the probe with ``trusting(_:)``.
public enum HDF5Probe {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var trustDepth = 0

  /// Runs `body` without the forked dry run (for files this process wrote and trusts).
  public static func trusting<T>(_ body: () throws -> T) rethrows -> T {
    lock.withLock { trustDepth += 1 }
    defer { lock.withLock { trustDepth -= 1 } }
    return try body()
  }

  /// Runs `body` (which reads the HDF5 file at `path`, `size` bytes) in a forked child and throws an
  /// ``HDF5Error`` if the child crashes or runs past 20 s plus 1 s per 4 MB. Errors thrown by `body`
  /// are ignored: the real reading reports them. Where fork fails, nothing is checked.
  public static func dryRun(_ path: String, size: Int, _ body: () throws -> Void) throws {
    if lock.withLock({ trustDepth > 0 }) { return }
    let pid = fork()
    if pid == 0 {
      // The child: a crash must end it quietly (default signal actions, not the Swift runtime's
      // backtracer; standard error and output closed); _exit skips atexit handlers and flushes.
      for crash in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] { signal(crash, SIG_DFL) }
      let null = Glibc.open("/dev/null", O_WRONLY)
      if null >= 0 {
        dup2(null, 1)
        dup2(null, 2)
      }
      try? body()
      _exit(0)
    }
    guard pid > 0 else { return }
    let limit = 20_000 + size / 4_000  // milliseconds
    var status: Int32 = 0
    for _ in 0..<limit {
      let done = waitpid(pid, &status, WNOHANG)
      if done == pid {
        let signal = status & 0x7f
        guard signal == 0 || signal == 0x7f else {
          throw HDF5Error(
            file: path, object: nil,
            message: "the file is damaged: reading it crashes the HDF5 library (signal \(signal)); nothing was read")
        }
        return
      }
      if done < 0 && errno != EINTR { return }
      usleep(1_000)
    }
    kill(pid, SIGKILL)
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    throw HDF5Error(
      file: path, object: nil,
      message: "the file is damaged: reading it does not finish (the HDF5 library loops); nothing was read")
  }
}
