import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Progress of a long data command on standard error: a redrawn bar when standard error is a terminal,
/// otherwise (a log file, a pipe, a test) a plain line at every tenth of the work.
final class ProgressReporter: @unchecked Sendable {
  private let label: String
  private let total: Int
  private let isTerminal: Bool
  private let quiet: Bool
  private let lock = NSLock()
  private var done = 0
  private var lastDecile = -1
  private var lastDraw = 0.0
  private let start = Date()

  /// A reporter for `total` units of work; `quiet` silences it (used by library callers and tests).
  init(_ label: String, total: Int, quiet: Bool = false) {
    self.label = label
    self.total = max(total, 1)
    self.quiet = quiet
    self.isTerminal = isatty(STDERR_FILENO) == 1
  }

  /// Records `count` more units done.
  func advance(_ count: Int = 1) {
    guard !quiet else { return }
    lock.lock()
    defer { lock.unlock() }
    done += count
    let now = Date().timeIntervalSince(start)
    if isTerminal {
      guard now - lastDraw >= 0.1 || done >= total else { return }
      lastDraw = now
      let fraction = min(1, Double(done) / Double(total))
      let width = 30
      let filled = Int(fraction * Double(width))
      let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
      let line = "\r\(label) [\(bar)] \(done)/\(total) \(Int(fraction * 100))% \(Self.seconds(now))"
      FileHandle.standardError.write(Data(line.utf8))
    } else {
      let decile = min(10, done * 10 / total)
      guard decile > lastDecile else { return }
      lastDecile = decile
      printError("\(label): \(done)/\(total) (\(decile * 10)%) after \(Self.seconds(now))")
    }
  }

  /// Ends the bar's line on a terminal.
  func finish() {
    guard !quiet, isTerminal else { return }
    FileHandle.standardError.write(Data("\n".utf8))
  }

  /// Prints a message (a skipped file, say) without breaking the bar.
  func note(_ message: String) {
    guard !quiet else { return }
    lock.lock()
    defer { lock.unlock() }
    if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    printError(message)
  }

  private static func seconds(_ t: Double) -> String { String(format: "%.1fs", t) }
}
