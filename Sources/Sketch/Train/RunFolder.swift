import Codegen
import Foundation

/// An experiment folder held by one `sketch train` for the whole run.
///
/// Claiming it takes an exclusive lock (`flock` on `.sketch-train.lock`, released by the kernel when
/// the process ends, even by kill -9), refuses to start a new run over an earlier one unless asked
/// to (`--overwrite`), and removes the temporary files that killed runs of this program left there.
final class RunFolder {
  enum Mode {
    /// A new run: the folder must hold no earlier run.
    case fresh
    /// A new run replacing the earlier one (`--overwrite`): its files are removed first.
    case overwrite
    /// `--model continue`: the folder must hold a saved model.
    case resume
  }

  /// The lock file (it holds the process id of the run that has the lock).
  static let lockName = ".sketch-train.lock"
  /// Everything a run writes into its folder.
  static let runFiles = [
    "model.h5", "metrics.jsonl", "loss.png", "loss.svg", "sketch.png", "pen.png", "sketch.svg", "sketch.txt", "samples",
  ]
  /// The folders in which a run writes files (the experiment folder and its samples).
  static let writtenFolders = [".", "samples"]

  let url: URL
  /// Temporary files of dead writers found and removed when the folder was claimed.
  let removedTemporaries: [String]
  private let lock: Int32

  private init(url: URL, lock: Int32, removedTemporaries: [String]) {
    self.url = url
    self.lock = lock
    self.removedTemporaries = removedTemporaries
  }

  deinit { close(lock) }

  static func claim(_ url: URL, mode: Mode) throws -> RunFolder {
    let path = url.path
    let fm = FileManager.default
    if mode == .resume && !fm.fileExists(atPath: path) {
      throw RunFolderError(
        "there is no experiment folder \(path) to continue; the folder is named by --output, --name and the "
          + "architecture and optimizer flags, which must be those of the run being continued")
    }
    do {
      try fm.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
      throw RunFolderError("cannot create the experiment folder \(path): \(Self.reason(error)); check --output")
    }
    let lock = try takeLock(in: path)
    do {
      let model = url.appendingPathComponent("model.h5").path
      switch mode {
      case .resume:
        guard fm.fileExists(atPath: model) else {
          throw RunFolderError(
            "\(path) holds no saved model (model.h5) to continue: the run saved nothing yet; "
              + "start it again with --overwrite")
        }
      case .fresh:
        let metrics = url.appendingPathComponent("metrics.jsonl").path
        let metricsSize = (try? fm.attributesOfItem(atPath: metrics)[.size] as? Int) ?? nil
        if fm.fileExists(atPath: model) || (metricsSize ?? 0) > 0 {
          throw RunFolderError(
            "\(path) already holds a training run (model.h5 or metrics.jsonl), which a new run would replace. "
              + "Continue it with --model continue, choose another --name or --output, or pass --overwrite to replace it"
          )
        }
        try removeRunFiles(in: url)
      case .overwrite:
        try removeRunFiles(in: url)
      }
      return RunFolder(url: url, lock: lock, removedTemporaries: removeAbandonedTemporaries(in: url))
    } catch {
      close(lock)
      throw error
    }
  }

  /// Opens the lock file and takes an exclusive lock without waiting; refuses when another process has it.
  private static func takeLock(in folder: String) throws -> Int32 {
    let path = folder + "/" + lockName
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw RunFolderError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      let busy = errno == EWOULDBLOCK
      let message = String(cString: strerror(errno))
      var buffer = [UInt8](repeating: 0, count: 32)
      let n = read(fd, &buffer, buffer.count)
      close(fd)
      guard busy else { throw RunFolderError("cannot lock \(path): \(message)") }
      let pid = String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self).trimmingCharacters(
        in: .whitespacesAndNewlines)
      throw RunFolderError(
        "\(folder) is in use by another `sketch train`\(pid.isEmpty ? "" : " (process \(pid))"); "
          + "wait for it to finish, or choose another --name or --output")
    }
    let pid = Array("\(getpid())\n".utf8)
    _ = ftruncate(fd, 0)
    _ = pwrite(fd, pid, pid.count, 0)
    return fd
  }

  private static func removeRunFiles(in url: URL) throws {
    for name in runFiles {
      let p = url.appendingPathComponent(name)
      guard FileManager.default.fileExists(atPath: p.path) else { continue }
      do {
        try FileManager.default.removeItem(at: p)
      } catch {
        throw RunFolderError("cannot remove \(p.path) of the earlier run: \(Self.reason(error))")
      }
    }
  }

  /// Removes the temporary files (`.NAME.tmp-PID-RANDOM`) whose writer process is gone; returns their paths.
  private static func removeAbandonedTemporaries(in url: URL) -> [String] {
    var removed: [String] = []
    for sub in writtenFolders {
      let dir = sub == "." ? url : url.appendingPathComponent(sub)
      for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
      where AtomicFile.isAbandoned(temporaryName: name) {
        let p = dir.appendingPathComponent(name).path
        if unlink(p) == 0 { removed.append(p) }
      }
    }
    return removed.sorted()
  }

  private static func reason(_ error: Error) -> String { error.localizedDescription }
}

/// A refusal or failure to claim an experiment folder (exit status 1).
struct RunFolderError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
