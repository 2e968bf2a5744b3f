import Foundation
import XCTest

/// The `sketch` executable as a separate process, for the tests of exit statuses, signals, kill -9
/// and locks. SwiftPM builds it next to the test bundle (`swift build --build-tests`).
enum SketchProcess {
  /// The executable beside the test bundle, or the one `SKETCH_TEST_EXECUTABLE` names (to check
  /// another build); an error that says how to build it when it is missing.
  static func executable() throws -> URL {
    if let given = ProcessInfo.processInfo.environment["SKETCH_TEST_EXECUTABLE"], !given.isEmpty {
      guard FileManager.default.isExecutableFile(atPath: given) else {
        throw SketchProcessError("SKETCH_TEST_EXECUTABLE=\(given) is not an executable file")
      }
      return URL(fileURLWithPath: given)
    }
    let bundle = URL(
      fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0])
    var dir = bundle.deletingLastPathComponent()
    while dir.pathExtension == "xctest" || dir.lastPathComponent == "Contents" || dir.lastPathComponent == "MacOS" {
      dir = dir.deletingLastPathComponent()
    }
    let exe = dir.appendingPathComponent("sketch")
    guard FileManager.default.isExecutableFile(atPath: exe.path) else {
      throw SketchProcessError(
        "the sketch executable is not at \(exe.path); build it with the tests: `swift build --build-tests`")
    }
    return exe
  }

  /// A started process; its output goes to `log` (stdout and stderr together).
  final class Running {
    let process: Process
    let log: URL

    init(_ arguments: [String], in directory: URL, log: URL, shell: String? = nil) throws {
      process = Process()
      let exe = try SketchProcess.executable()
      if let shell {
        // `shell` is run by /bin/sh with "$S" set to the executable and the arguments after it.
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "S=\"$0\"; " + shell, exe.path] + arguments
      } else {
        process.executableURL = exe
        process.arguments = arguments
      }
      process.currentDirectoryURL = directory
      // These tests are about processes and files; the backends are compared by the in-process tests,
      // so the child does not run every function twice in `SKETCH_MODE=debug` (the second `make test` pass).
      var environment = ProcessInfo.processInfo.environment
      environment["SKETCH_MODE"] = nil
      process.environment = environment
      self.log = log
      FileManager.default.createFile(atPath: log.path, contents: nil)
      let out = try FileHandle(forWritingTo: log)
      process.standardOutput = out
      process.standardError = out
      process.standardInput = FileHandle.nullDevice
      try process.run()
    }

    /// Waits for the end (at most `limit` seconds, a guard against hangs, then kills it and fails).
    @discardableResult
    func wait(limit: Double = 300, file: StaticString = #filePath, line: UInt = #line) -> (
      status: Int32, output: String
    ) {
      let deadline = Date().addingTimeInterval(limit)
      while process.isRunning && Date() < deadline { usleep(20_000) }
      if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTFail(
          "sketch \(process.arguments ?? []) did not end within \(limit) s (hang?):\n\(output)", file: file, line: line)
      }
      process.waitUntilExit()
      let status =
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
      return (status, output)
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func signal(_ s: Int32) { kill(process.processIdentifier, s) }
  }

  /// Runs `sketch ARGS` in `directory` to its end.
  static func run(
    _ arguments: [String], in directory: URL, shell: String? = nil, file: StaticString = #filePath, line: UInt = #line
  ) throws -> (status: Int32, output: String) {
    let log = directory.appendingPathComponent(".log-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: log) }
    return try Running(arguments, in: directory, log: log, shell: shell).wait(file: file, line: line)
  }

  /// Polls `condition` every 20 ms; fails after `limit` seconds (a guard against hangs, not a timing).
  static func waitFor(
    _ what: String, limit: Double = 300, file: StaticString = #filePath, line: UInt = #line, _ condition: () -> Bool
  ) {
    let deadline = Date().addingTimeInterval(limit)
    while !condition() {
      if Date() > deadline {
        XCTFail("waited \(limit) s for \(what)", file: file, line: line)
        return
      }
      usleep(20_000)
    }
  }
}

struct SketchProcessError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// A tiny training configuration and dataset (issue 12's `TF` and `d.h5`) in a fresh folder.
enum TinyRun {
  static let flags = [
    "--dim", "16", "--depth", "1", "--bs", "8", "--max-length", "100", "--mix-dim", "3", "--threads", "1",
  ]
  static let folderName = "handwriting-1X16m3d0r14b8e15-L100G10"

  /// A new temporary folder holding `d.h5` (`sketch data hershey -o d.h5 --lines 120 --seed 5`).
  static func folderWithDataset(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let made = try SketchProcess.run(["data", "hershey", "-o", "d.h5", "--lines", "120", "--seed", "5"], in: dir)
    guard made.status == 0 else { throw SketchProcessError("sketch data hershey failed: \(made.output)") }
    return dir
  }

  /// The metrics.jsonl records, each line parsed (a line that does not parse fails the test).
  static func metrics(_ folder: URL, file: StaticString = #filePath, line: UInt = #line) -> [[String: Any]] {
    let text = (try? String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? ""
    XCTAssertTrue(
      text.isEmpty || text.hasSuffix("\n"), "metrics.jsonl ends with a partial line", file: file, line: line)
    return text.split(separator: "\n").compactMap { l in
      guard let o = try? JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any] else {
        XCTFail("metrics.jsonl line is not a JSON object: \(l)", file: file, line: line)
        return nil
      }
      return o
    }
  }

  /// Names of temporary files (`.NAME.tmp-...`) in a run folder and its samples.
  static func temporaries(_ folder: URL) -> [String] {
    ["", "samples"].flatMap { sub in
      ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(sub).path)) ?? [])
        .filter { $0.contains(".tmp-") }
    }
  }
}
