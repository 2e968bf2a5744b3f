import Foundation

/// Stops this rank when one of its MPI calls has waited longer than `limit` seconds for the others
/// (a rank that hangs or was stopped, which MPI alone would wait for forever): it prints which call
/// waited and exits, and mpirun then ends the whole job.
final class CollectiveWatchdog: @unchecked Sendable {
  let limit: Double
  let rank: Int
  private let lock = NSLock()
  private var waiting: (call: String, since: Date)?

  /// Starts the watching thread (it checks four times a second).
  init(limit: Double, rank: Int) {
    self.limit = limit
    self.rank = rank
    let thread = Thread { [self] in watch() }
    thread.name = "sketch-mpi-watchdog"
    thread.start()
  }

  /// Runs `body` (one MPI call named `call`) under the watch.
  func around<T>(_ call: String, _ body: () throws -> T) rethrows -> T {
    lock.withLock { waiting = (call, Date()) }
    defer { lock.withLock { waiting = nil } }
    return try body()
  }

  private func watch() {
    while true {
      usleep(250_000)
      guard let w = lock.withLock({ waiting }), Date().timeIntervalSince(w.since) > limit else { continue }
      let message =
        "sketch train, rank \(rank): error: \(w.call) has waited \(Int(limit)) s for the other ranks "
        + "(--mpi-timeout): one of them hangs or was stopped. Stopping the job; the last checkpoint stays "
        + "loadable: resume with --model continue, with any number of ranks\n"
      FileHandle.standardError.write(Data(message.utf8))
      fflush(nil)
      _exit(75)
    }
  }
}
