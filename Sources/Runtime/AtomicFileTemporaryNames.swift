#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension AtomicFile {
  /// The target name and the writer's process id of a temporary file name made by
  /// ``temporaryPath(for:)`` (`.NAME.tmp-PID-RANDOM`); nil for any other name.
  public static func temporaryOwner(ofName name: String) -> (target: String, pid: Int32)? {
    guard name.hasPrefix(".") else { return nil }
    let parts = name.dropFirst().split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count >= 3, let random = parts.last, let pidText = parts.dropLast().last else { return nil }
    let head = parts.dropLast(2).joined(separator: "-")
    guard head.hasSuffix(".tmp"), head.count > 4, let pid = Int32(pidText), pid > 0, !random.isEmpty,
      random.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLowercase) })
    else { return nil }
    return (String(head.dropLast(4)), pid)
  }

  /// Whether `name` is a temporary file of ``temporaryPath(for:)`` whose writer process is gone (so
  /// it can never be committed and only takes space).
  public static func isAbandoned(temporaryName name: String) -> Bool {
    guard let owner = temporaryOwner(ofName: name), owner.pid != getpid() else { return false }
    return kill(owner.pid, 0) != 0 && errno == ESRCH
  }
}
