import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// `sketch serve` as a user meets it: the executable started on a free loopback port with the shipped
/// model, its page driven in headless Chromium (Debian's chromium and chromium-driver, selenium from
/// .build/test-tools/venv: scripts/check-page.py), the downloads checked with readers of their own
/// (pygcode for the G-code, `sketch write --prime` for the style file). A missing browser fails the
/// test with how to install it; nothing is skipped.
final class BrowserPageTests: XCTestCase {
  static let chromium = "/usr/bin/chromium"
  static let driver = "/usr/bin/chromedriver"
  /// Where the page's screenshot is kept after the test (a test artifact).
  static let artifacts = URL(fileURLWithPath: PlotterTests.root).appendingPathComponent(".build/test-artifacts")

  func folder(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  /// Starts `sketch serve ARGUMENTS --port 0` and waits for the address it prints.
  func startServer(_ arguments: [String], in dir: URL) throws -> (SketchProcess.Running, URL) {
    let server = try SketchProcess.Running(
      ["serve", "--model", ShippedWriterTests.root.appendingPathComponent("models/writer").path, "--port", "0"]
        + arguments, in: dir, log: dir.appendingPathComponent("serve.log"))
    SketchProcess.waitFor("sketch serve to print its address", limit: 180) {
      server.output.contains("/ (Ctrl-C stops)") || !server.process.isRunning
    }
    guard let match = server.output.firstMatch(of: /http:\/\/[^ ]+\//), let url = URL(string: String(match.output))
    else {
      server.signal(SIGKILL)
      throw SketchProcessError("sketch serve did not print its address:\n\(server.output)")
    }
    return (server, url)
  }

  func testThePageWritesDownloadsAndPrimesInHeadlessChromium() throws {
    for (path, package) in [(Self.chromium, "chromium"), (Self.driver, "chromium-driver")] {
      guard FileManager.default.isExecutableFile(atPath: path) else {
        return XCTFail(
          "\(path) is missing: this test drives the page in headless Chromium; install it with "
            + "`bash scripts/install-deps.sh --test` (Debian's \(package)), as `make test` does")
      }
    }
    let python = try PlotterTests.testToolsPython()
    let dir = try folder("page")
    defer { try? FileManager.default.removeItem(at: dir) }
    let (server, url) = try startServer([], in: dir)
    defer { if server.process.isRunning { server.signal(SIGKILL) } }
    XCTAssertEqual(url.host, "127.0.0.1", "loopback by default")

    let downloads = dir.appendingPathComponent("downloads")
    let screenshot = dir.appendingPathComponent("page.png")
    let output: String
    do {
      output = try PlotterTests.run(
        python,
        [
          PlotterTests.root + "/scripts/check-page.py", "--url", url.absoluteString, "--downloads", downloads.path,
          "--screenshot", screenshot.path, "--chromium", Self.chromium, "--driver", Self.driver,
        ])
    } catch {
      return XCTFail("\(error)\nserver log:\n\(server.output)")
    }
    let last = output.split(separator: "\n").last.map(String.init) ?? ""
    guard let report = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] else {
      return XCTFail("check-page.py printed no report:\n\(output)")
    }
    func writing(_ key: String) -> [String: Any] { report[key] as? [String: Any] ?? [:] }
    let (short, long, primed) = (writing("short"), writing("long"), writing("primed"))
    let summary = "\(report)"

    XCTAssertEqual(report["styles"] as? [String], ["", "scripts", "scriptc", "futural", "timesi"], summary)
    let strokes = { (w: [String: Any]) in w["strokes"] as? Int ?? 0 }
    XCTAssertGreaterThan(strokes(short), 0, summary)
    XCTAssertGreaterThan(strokes(long), 2 * strokes(short), "more text, more strokes: \(summary)")
    for w in [short, long, primed] {
      XCTAssertEqual(w["paths"] as? Int, strokes(w), "one SVG path per stroke")
      XCTAssertLessThanOrEqual(w["pointsSeenMidway"] as? Int ?? .max, w["points"] as? Int ?? 0)
    }

    // The downloads are of the last writing before them (the long text).
    let svg = try String(contentsOfFile: report["svg"] as? String ?? "", encoding: .utf8)
    XCTAssertEqual(svg.components(separatedBy: "<path ").count - 1, strokes(long), "the SVG holds the written strokes")
    let gcode = try PlotterTests.run(
      python, [PlotterTests.root + "/scripts/check-gcode.py", report["gcode"] as? String ?? "", "--servo", "M3 S30", "M5"])
    let g = try JSONSerialization.jsonObject(with: Data(gcode.utf8)) as? [String: Any] ?? [:]
    XCTAssertEqual(g["pen_downs"] as? Int, strokes(long), "one pen-down per stroke: \(g)")
    XCTAssertEqual(g["draws_pen_up"] as? Int, 0)
    XCTAssertEqual(g["travels_pen_down"] as? Int, 0)
    XCTAssertGreaterThanOrEqual(g["min_x"] as? Double ?? -1, 0)
    XCTAssertLessThanOrEqual(g["max_x"] as? Double ?? 1e9, 210, "on an A4 page")

    // The line drawn on the canvas: three strokes, used as the style, then saved as a style file.
    XCTAssertEqual(report["padStrokes"] as? Int, 3, summary)
    XCTAssertEqual(report["styleAfterUse"] as? String, "__drawn")
    XCTAssertEqual(report["primedStyle"] as? String, "drawn", "the write request carried the drawn primer")
    XCTAssertGreaterThan(strokes(primed), 0)
    let primer = try PrimerFile.load(report["styleFile"] as? String ?? "", text: nil)
    XCTAssertEqual(primer.text, "lon", "the style file says what it shows")
    XCTAssertEqual(primer.offsets.filter { $0.pen > 0.5 }.count, 3, "and holds the three strokes")
    let written = try SketchProcess.run(
      [
        "write", "he", "--model", ShippedWriterTests.root.appendingPathComponent("models/writer").path, "--prime",
        report["styleFile"] as? String ?? "", "-o", dir.appendingPathComponent("primed").path,
      ], in: dir)
    XCTAssertEqual(written.status, 0, "sketch write --prime reads the saved style file: \(written.output)")

    XCTAssertEqual(report["consoleErrors"] as? [String], [], "no errors in the browser's console")
    let image = try PNGImage.read(from: screenshot.path)
    XCTAssertEqual(image.width, 1280)
    try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
    let kept = Self.artifacts.appendingPathComponent("serve-page.png")
    try? FileManager.default.removeItem(at: kept)
    try FileManager.default.copyItem(at: screenshot, to: kept)

    // A second server on the same port is refused with what to do, and Ctrl-C stops the first.
    let again = try SketchProcess.run(["serve", "--port", "\(url.port ?? 0)", "--model", "models/writer"], in: ShippedWriterTests.root)
    XCTAssertNotEqual(again.status, 0)
    XCTAssertTrue(again.output.contains("cannot serve on 127.0.0.1:\(url.port ?? 0)"), again.output)
    XCTAssertTrue(again.output.contains("give another --port"), again.output)
    assertStops(server, on: SIGINT)
  }

  /// Sends `signal` to the server and checks it stops gracefully: exit 0, and says so.
  func assertStops(_ server: SketchProcess.Running, on signal: Int32, file: StaticString = #filePath, line: UInt = #line) {
    server.signal(signal)
    let end = server.wait(limit: 60, file: file, line: line)
    XCTAssertEqual(end.status, 0, end.output, file: file, line: line)
    XCTAssertTrue(end.output.contains("sketch serve: stopped"), end.output, file: file, line: line)
  }

  func testServingBeyondLoopbackIsSaidAndSIGTERMStopsIt() throws {
    let dir = try folder("serve-all")
    defer { try? FileManager.default.removeItem(at: dir) }
    let (server, url) = try startServer(["--host", "0.0.0.0"], in: dir)
    XCTAssertTrue(server.output.contains("warning: listening on 0.0.0.0: anyone who can reach this machine"), server.output)
    let info = try HTTPFetch.get(url.appendingPathComponent("api/model"))
    XCTAssertTrue(info.contains("\"styles\":[\"scripts\""), info)
    assertStops(server, on: SIGTERM)
  }

  func testBadServeFlagsAreUsageErrors() throws {
    let dir = try folder("serve-flags")
    defer { try? FileManager.default.removeItem(at: dir) }
    for (flags, says) in [
      (["--port", "70000"], "--port must be 0 to 65535"), (["--max-concurrent", "0"], "--max-concurrent must be 1 to 16"),
      (["--timeout", "0"], "--timeout"), (["--model", dir.path], "no model file at"),
    ] {
      let r = try SketchProcess.run(["serve"] + flags, in: dir)
      XCTAssertNotEqual(r.status, 0, "\(flags)")
      XCTAssertTrue(r.output.contains(says), "\(flags): \(r.output)")
      XCTAssertFalse(r.output.contains("Fatal error"), r.output)
    }
  }
}

/// A GET with the raw socket client of ServeTests, from synchronous test code.
enum HTTPFetch {
  static func get(_ url: URL) throws -> String {
    final class Box: @unchecked Sendable { var result: Result<String, any Error>? }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    let (path, port) = (url.path, url.port ?? 80)
    Task.detached {
      do { box.result = .success(try await HTTP.send("GET", path, port: port).text) } catch {
        box.result = .failure(error)
      }
      done.signal()
    }
    done.wait()
    return try box.result!.get()
  }
}
