#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Set when SIGINT, SIGTERM or SIGHUP arrives: the training loop saves and exits after the current batch.
nonisolated(unsafe) var interruptRequested = false
/// The signal that set ``interruptRequested`` (0 when set otherwise, as in tests).
nonisolated(unsafe) var interruptSignal: Int32 = 0

/// The signals that stop `sketch train` with a save: Ctrl-C, and what timeout, docker, systemd and
/// Slurm send (SIGTERM) or a closed terminal (SIGHUP). A second one ends the process at once (the last
/// save is kept: files are only ever replaced by a rename).
enum Interrupts {
  static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

  static func install() {
    for s in signals {
      var action = sigaction()
      #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = Interrupts.handle
      #else
        action.__sigaction_u.__sa_handler = Interrupts.handle
      #endif
      sigemptyset(&action.sa_mask)
      action.sa_flags = Int32(SA_RESTART)
      sigaction(s, &action, nil)
    }
  }

  /// The exit status of a run stopped by a signal: 128 + the signal, as a shell reports it.
  static var exitStatus: Int32 { 128 + (interruptSignal == 0 ? SIGINT : interruptSignal) }

  /// The signal's name for messages.
  static var signalName: String {
    switch interruptSignal {
    case SIGTERM: return "SIGTERM"
    case SIGHUP: return "SIGHUP"
    default: return "SIGINT"
    }
  }

  /// Async-signal-safe: sets two globals, or on a second signal restores the default and re-raises.
  private static let handle: @convention(c) (Int32) -> Void = { sig in
    if interruptRequested {
      signal(sig, SIG_DFL)
      raise(sig)
      return
    }
    interruptSignal = sig
    interruptRequested = true
  }
}
