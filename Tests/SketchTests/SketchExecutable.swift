import Foundation
import XCTest

/// The built `sketch` executable, run as a separate process (for tests whose cases could trap, hang
/// or must be seen as a user sees them: exit status and messages).
///
/// It is looked for next to the test bundle (`.build/debug/sketch`, where `swift build --build-tests`
/// puts both), or at `$SKETCH_TEST_EXECUTABLE` (``SketchProcess/executable()``). A missing executable fails the test with how to build it;
/// it is never skipped.
enum SketchExecutable {
  struct Result {
    /// The exit status, or nil when the process was killed by a signal.
    var status: Int32?
    /// The signal that ended the process, if one did.
    var signal: Int32?
    /// Whether the process ran past its time limit (and was killed).
    var timedOut: Bool
    /// Standard output and standard error, together.
    var output: String

    /// A clean exit: a status (no signal, no time-out) and no Swift runtime trap in the output.
    var exitedCleanly: Bool {
      status != nil && !timedOut && !output.contains("Fatal error") && !output.contains("runtime failure")
        && !output.contains("Program crashed")
    }
  }

  /// The executable: ``SketchProcess/executable()`` (beside the test bundle, or `$SKETCH_TEST_EXECUTABLE`).
  static func path() throws -> String { try SketchProcess.executable().path }

  /// Runs `sketch ARGUMENTS` in `directory` with a private compile cache under `cache` when given,
  /// killing it after `timeout` seconds.
  /// `program` names another executable of the package, built beside `sketch` (the examples).
  static func run(
    _ arguments: [String], in directory: String? = nil, cache: String? = nil, timeout: Double = 60,
    program: String? = nil
  ) throws -> Result {
    let process = Process()
    let sketch = URL(fileURLWithPath: try path())
    let exe = program.map { sketch.deletingLastPathComponent().appendingPathComponent($0) } ?? sketch
    guard FileManager.default.isExecutableFile(atPath: exe.path) else {
      throw SketchProcessError("\(exe.path) is not built; build it with the tests: `swift build --build-tests`")
    }
    process.executableURL = exe
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    var environment = ProcessInfo.processInfo.environment
    if let cache { environment["XDG_CACHE_HOME"] = cache }
    process.environment = environment
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-run-\(UUID().uuidString).log")
    FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    let done = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in done.signal() }
    try process.run()
    let timedOut = done.wait(timeout: .now() + timeout) == .timedOut
    if timedOut {
      process.terminate()
      kill(process.processIdentifier, SIGKILL)
      done.wait()
    }
    try handle.close()
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    let bySignal = process.terminationReason == .uncaughtSignal
    return Result(
      status: bySignal ? nil : process.terminationStatus, signal: bySignal ? process.terminationStatus : nil,
      timedOut: timedOut, output: output)
  }
}
