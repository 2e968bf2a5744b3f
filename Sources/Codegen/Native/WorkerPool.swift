import CWorkerPool

/// The native backend's worker pool (`Sources/Codegen/CWorkerPool`), as reports see it.
public enum WorkerPool {
  /// Threads the next native call runs its big loops and products on (the caller included).
  public static var threads: Int { NativeThreads.configured }

  /// The pool's counters since the process started: jobs posted and run alone, chunks run by the caller
  /// and by workers, late arrivals, futex sleeps, and the spin calibration (docs/native.md).
  public static var counters: [String: Double] {
    var s = sk_pool_stats()
    sk_pool_get_stats(&s)
    return [
      "jobs": Double(s.jobs), "solo": Double(s.solo), "caller_chunks": Double(s.caller_chunks),
      "worker_chunks": Double(s.worker_chunks), "late": Double(s.late), "worker_sleeps": Double(s.worker_sleeps),
      "caller_sleeps": Double(s.caller_sleeps), "spin_limit_pauses": Double(s.spin_limit),
      "pauses_per_us": s.pauses_per_us,
    ]
  }
}
