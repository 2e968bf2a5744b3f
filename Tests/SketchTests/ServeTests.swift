import Codegen
import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// `sketch serve`'s API, over real loopback HTTP (a raw socket client, so that paths go out exactly
/// as written), on the shipped model in native mode: what it writes, what it refuses and how.
final class ServeTests: XCTestCase {
  /// One server for the class (compiling the writer takes seconds), started on a free port.
  nonisolated(unsafe) static var running: (port: Int, task: Task<Void, any Error>)?

  static func port() async throws -> Int {
    if let running { return running.port }
    let model = try WritingModel(path: ShippedWriterTests.modelFile)
    var limits = ServeLimits()
    limits.maxLines = 3
    limits.maxCharactersPerLine = 40
    limits.maxBodyBytes = 64 * 1024
    limits.maxWaiting = 2
    let service = try WritingService(model: model, limits: limits, mode: .native)
    // Cancelled at the end of the class, which its log would report as errors.
    let server = PageServer(service: service, host: "127.0.0.1", port: 0, logLevel: .critical)
    let (stream, ready) = AsyncStream<Int>.makeStream()
    let task = Task { try await server.run { ready.yield($0) } }
    var iterator = stream.makeAsyncIterator()
    guard let port = await iterator.next() else { throw SketchProcessError("the server did not start") }
    running = (port, task)
    return port
  }

  override class func tearDown() {
    running?.task.cancel()
    running = nil
  }

  // MARK: Writing

  func testTheModelInfoListsItsStylesAlphabetAndLimits() async throws {
    let r = try await HTTP.send("GET", "/api/model", port: Self.port())
    XCTAssertEqual(r.status, 200)
    let info = try JSONDecoder().decode(ModelInfo.self, from: r.body)
    XCTAssertEqual(info.styles, ["scripts", "scriptc", "futural", "timesi"])
    let model = try WritingModel(path: ShippedWriterTests.modelFile)
    XCTAssertEqual(info.alphabet, String(model.alphabet))
    XCTAssertEqual(info.limits.maxLines, 3)
    XCTAssertEqual(r.headers["content-type"], "application/json")
  }

  /// A damaged styles.json stops the server with what is wrong, instead of serving no styles.
  func testADamagedStyleFileIsAnError() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-serve-styles-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("model.h5").path
    try FileManager.default.copyItem(atPath: ShippedWriterTests.modelFile, toPath: file)
    try Data("{\"dataset\": 3".utf8).write(to: dir.appendingPathComponent("styles.json"))
    let limits = ServeLimits()
    XCTAssertThrowsError(try WritingService(model: try WritingModel(path: file), limits: limits, mode: .interpreter)) {
      XCTAssertTrue("\($0)".contains("is not a style file written by `sketch train`"), "\($0)")
    }
    // Without the file the model has no named styles.
    try FileManager.default.removeItem(at: dir.appendingPathComponent("styles.json"))
    let service = try WritingService(model: try WritingModel(path: file), limits: limits, mode: .interpreter)
    XCTAssertEqual(service.styles.samples.count, 0)
  }

  func testWritingGivesStrokesThatGrowWithTheTextAndRepeatForASeed() async throws {
    let port = try await Self.port()
    func write(_ text: String, seed: UInt64) async throws -> WriteResponse {
      let r = try await HTTP.post("/api/write", WriteRequest(text: text, style: "futural", bias: 1, seed: seed), port: port)
      XCTAssertEqual(r.status, 200, r.text)
      return try JSONDecoder().decode(WriteResponse.self, from: r.body)
    }
    let short = try await write("he", seed: 3)
    let long = try await write("he had a bed\nand a red hat", seed: 3)
    let again = try await write("he", seed: 3)
    XCTAssertEqual(short.lines.count, 1)
    XCTAssertEqual(long.lines.map(\.text), ["he had a bed", "and a red hat"])
    XCTAssertEqual(short.style, "futural")
    let strokes = { (r: WriteResponse) in r.lines.reduce(0) { $0 + $1.strokes.count } }
    XCTAssertGreaterThan(strokes(long), 2 * strokes(short))
    XCTAssertGreaterThan(long.lines[0].points, 3 * short.lines[0].points)
    XCTAssertEqual(again.lines[0].strokes, short.lines[0].strokes, "the same seed writes the same strokes")
    for line in long.lines {
      XCTAssertEqual(line.strokes.reduce(0) { $0 + $1.count / 2 }, line.points, "every point drawn is sent")
      XCTAssertTrue(line.strokes.joined().allSatisfy(\.isFinite))
    }
  }

  func testBadRequestsAreJSONErrorsWithTheirStatus() async throws {
    let port = try await Self.port()
    let cases: [(method: String, path: String, body: String, status: Int, says: String)] = [
      ("POST", "/api/write", #"{"text": "h\u00e9"}"#, 400, "cannot write 'é'"),
      ("POST", "/api/write", #"{"text": "  \n "}"#, 400, "is empty"),
      ("POST", "/api/write", #"{"text": "a\nb\nc\nd"}"#, 413, "at most 3 per request"),
      ("POST", "/api/write", #"{"text": "\#(String(repeating: "a", count: 41))"}"#, 413, "at most 40"),
      ("POST", "/api/write", #"{"text": "he", "style": "gothic"}"#, 400, "the styles are scripts, scriptc"),
      ("POST", "/api/write", #"{"text": "he", "bias": 11}"#, 400, "\"bias\" must be"),
      ("POST", "/api/write", #"{"text": 5}"#, 400, "\"text\" should be"),
      ("POST", "/api/write", #"{"txt": "he"}"#, 400, "\"text\" is missing"),
      ("POST", "/api/write", "{not json", 400, "not valid JSON"),
      ("POST", "/api/write", #"{"text": "he", "primer": {"strokes": [[1, 2, 3]], "text": "x"}}"#, 400, "odd number"),
      ("POST", "/api/write", #"{"text": "he", "primer": {"strokes": [], "text": "x"}}"#, 400, "no strokes"),
      ("POST", "/api/write", #"{"text": "he", "primer": {"strokes": [[0, 0, 5, 5]], "text": " "}}"#, 400, "what the drawn primer shows"),
      ("POST", "/api/write", "{\"text\": \"" + String(repeating: "a", count: 70_000) + "\"}", 413, "larger than 65536 bytes"),
      ("POST", "/api/export", #"{"format": "pdf", "lines": [[[0, 0, 1, 1]]]}"#, 400, "\"format\" must be"),
      ("POST", "/api/export", #"{"format": "svg", "lines": []}"#, 400, "1 to 3 lines"),
      ("POST", "/api/export", #"{"format": "svg", "lines": [[[0, 0, 1e300, 1]]]}"#, 400, "not a finite number below 1e7"),
      ("POST", "/api/style", #"{"strokes": [[0, 0, 9, 9]], "text": "h\u00e9"}"#, 400, "cannot write 'é'"),
      ("GET", "/api/write", "", 405, "takes a POST"),
      ("GET", "/nothing-here", "", 404, "no such page"),
      ("GET", "/../Package.swift", "", 404, "no such page"),
      ("GET", "/%2e%2e/%2e%2e/Package.swift", "", 404, "no such page"),
      ("GET", "/..%2fPackage.swift", "", 404, "no such page"),
      ("GET", "//etc/passwd", "", 404, "no such page"),
    ]
    for c in cases {
      let r = try await HTTP.send(c.method, c.path, body: Data(c.body.utf8), port: port)
      let label = "\(c.method) \(c.path) \(c.body.prefix(60))"
      XCTAssertEqual(r.status, c.status, label + ": " + r.text)
      XCTAssertEqual(r.headers["content-type"], "application/json", label)
      let error = (try? JSONSerialization.jsonObject(with: r.body) as? [String: Any])?["error"] as? [String: Any]
      XCTAssertEqual(error?["status"] as? Int, c.status, label)
      XCTAssertTrue((error?["message"] as? String ?? "").contains(c.says), label + ": " + r.text)
    }
    let after = try await HTTP.send("GET", "/api/model", port: port)
    XCTAssertEqual(after.status, 200, "the server answers after every bad request")
  }

  func testThePageAndItsFilesAreServedFromTheExecutable() async throws {
    let port = try await Self.port()
    let page = try await HTTP.send("GET", "/", port: port)
    XCTAssertEqual(page.status, 200)
    XCTAssertEqual(page.headers["content-type"], "text/html; charset=utf-8")
    XCTAssertTrue(page.text.contains(#"<script src="/app.js" defer></script>"#))
    XCTAssertTrue(page.headers["content-security-policy"]?.contains("default-src 'self'") ?? false)
    XCTAssertEqual(page.headers["x-content-type-options"], "nosniff")
    let source = ShippedWriterTests.root.appendingPathComponent("Sources/Sketch/Serve/Page")
    for (name, type) in [("app.js", "text/javascript"), ("style.css", "text/css"), ("favicon.svg", "image/svg+xml")] {
      let r = try await HTTP.send("GET", "/" + name, port: port)
      XCTAssertEqual(r.status, 200, name)
      XCTAssertTrue(r.headers["content-type"]?.hasPrefix(type) ?? false, name)
      XCTAssertEqual(r.body, try Data(contentsOf: source.appendingPathComponent(name)), "\(name) as in the source tree")
    }
  }

  func testDownloadsHoldTheWrittenLines() async throws {
    let port = try await Self.port()
    let lines: [Polylines] = [[[0, 0, 10, 5, 20, 0], [30, 0]], [[0, 0, 0, 12]]]
    let svg = try await HTTP.post("/api/export", ExportRequest(format: "svg", lines: lines, penWidth: 2), port: port)
    XCTAssertEqual(svg.status, 200)
    XCTAssertEqual(svg.headers["content-disposition"], #"attachment; filename="handwriting.svg""#)
    XCTAssertEqual(svg.text.components(separatedBy: "<path ").count - 1, 3, "one path per stroke")
    XCTAssertTrue(svg.text.contains(#"stroke-width="2.0""#) || svg.text.contains(#"stroke-width="2""#), svg.text)
    let png = try await HTTP.post("/api/export", ExportRequest(format: "png", lines: lines), port: port)
    XCTAssertEqual(png.headers["content-type"], "image/png")
    XCTAssertEqual(Array(png.body.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString).png")
    defer { try? FileManager.default.removeItem(at: file) }
    try png.body.write(to: file)
    let image = try PNGImage.read(from: file.path)
    XCTAssertEqual(image.width, 1600)
    XCTAssertLessThan(image.pixels.min() ?? 255, 100, "ink on the PNG")
    let gcode = try await HTTP.post("/api/export", ExportRequest(format: "gcode", lines: lines), port: port)
    XCTAssertEqual(gcode.headers["content-disposition"], #"attachment; filename="handwriting.gcode""#)
    let expected = try PlotterOutput(lines: lines, page: PlotterPage()).text(.gcode, page: PlotterPage(), gcode: GCodeWriter())
    XCTAssertEqual(gcode.text, expected, "the same G-code as `sketch write --format gcode` makes of these lines")
  }

  /// `sketch serve`'s G-code flags (`--pen-delay`, `--pen-z-up`, ...) reach the G-code downloads.
  func testGCodeDownloadsUseTheServersPlotterSettings() throws {
    let command = try Serve.parse(["--pen-delay", "0.25", "--pen-z-up", "2", "--pen-z-down", "-1"])
    XCTAssertEqual(command.gcode.writer.pen, .z(up: 2, down: -1))
    XCTAssertThrowsError(try Serve.parse(["--dwell-milliseconds"])) {
      XCTAssertTrue(Serve.message(for: $0).contains("add --pen-delay"), Serve.message(for: $0))
    }
    let model = try WritingModel(path: ShippedWriterTests.modelFile)
    let service = try WritingService(
      model: model, limits: ServeLimits(), gcode: command.gcode.writer, mode: .interpreter)
    let lines: [Polylines] = [[[0, 0, 10, 5, 20, 0]]]
    let text = String(decoding: try service.export(ExportRequest(format: "gcode", lines: lines)).bytes, as: UTF8.self)
    XCTAssertTrue(text.contains("G1 Z-1 F1000\nG4 P0.25\n"), text)
    XCTAssertEqual(text.components(separatedBy: "G4 P0.25").count - 1, 3, "after the first lift, the stroke's pen down and up")
  }

  func testADrawnLineIsAStyleFileThatWriteReadsAndAPrimer() async throws {
    let port = try await Self.port()
    // A drawn "he": an h and an e, in canvas pixels, densely sampled like pointer events.
    func arc(_ cx: Double, _ cy: Double, _ r: Double, from a: Double, to b: Double) -> [Double] {
      stride(from: a, through: b, by: 0.05).flatMap { [cx + r * cos($0), cy + r * sin($0)] }
    }
    let h = stride(from: 0.0, through: 80, by: 1).flatMap { [100, 120 - $0] } + arc(115, 100, 15, from: .pi, to: 2 * .pi)
      + stride(from: 0.0, through: 20, by: 1).flatMap { [130, 100 + $0] }
    let e = stride(from: 150.0, through: 180, by: 1).flatMap { [$0, 105] } + arc(165, 105, 15, from: 0, to: 1.6 * .pi)
    let drawn = DrawnPrimer(strokes: [h, e], text: "he")
    let style = try await HTTP.post("/api/style", drawn, port: port)
    XCTAssertEqual(style.status, 200, style.text)
    XCTAssertEqual(style.headers["content-disposition"], #"attachment; filename="my-handwriting.svg""#)
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("style-\(UUID().uuidString).svg")
    defer { try? FileManager.default.removeItem(at: file) }
    try style.body.write(to: file)
    let primer = try PrimerFile.load(file.path, text: nil)
    XCTAssertEqual(primer.text, "he", "the style file carries its text")
    XCTAssertEqual(primer.offsets.filter { $0.pen > 0.5 }.count, 2, "two strokes")
    let written = try await HTTP.post("/api/write", WriteRequest(text: "bed", primer: drawn, seed: 1), port: port)
    XCTAssertEqual(written.status, 200, written.text)
    let response = try JSONDecoder().decode(WriteResponse.self, from: written.body)
    XCTAssertEqual(response.style, "drawn")
    XCTAssertGreaterThan(response.lines[0].points, 9, "3 characters, at least 3 points each")
  }

  func testManyRequestsAtOnceAreServedOrRefusedAsBusy() async throws {
    let port = try await Self.port()
    let request = WriteRequest(text: "he had a bed and a red hat\nand a bed\nhe had a hat", style: "scripts")
    let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
      for _ in 0..<8 {
        group.addTask {
          let r = try await HTTP.post("/api/write", request, port: port)
          return (r.status, r.text)
        }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    XCTAssertTrue(statuses.allSatisfy { $0.0 == 200 || $0.0 == 429 }, "\(statuses.map(\.0))")
    // One slot and two waiting: with eight at once, some are turned away, and at most three served.
    let busy = statuses.filter { $0.0 == 429 }
    XCTAssertGreaterThanOrEqual(busy.count, 1, "\(statuses.map(\.0))")
    XCTAssertTrue(busy.allSatisfy { $0.1.contains("the server is busy") })
    XCTAssertGreaterThanOrEqual(statuses.filter { $0.0 == 200 }.count, 1)
    let after = try await HTTP.send("GET", "/api/model", port: port)
    XCTAssertEqual(after.status, 200)
  }

  // MARK: The gate and the primer

  func testTheGateRunsAtMostItsSlotsAtOnceAndEveryJobOnce() async throws {
    let gate = GenerationGate(slots: 2, maxWaiting: 100)
    let counter = Counter()
    let results = try await withThrowingTaskGroup(of: Int.self) { group in
      for k in 0..<40 {
        group.addTask {
          try await gate.run(timeout: 120) { slot in
            counter.enter(slot)
            usleep(2_000)
            counter.leave(slot)
            return k
          }
        }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    XCTAssertEqual(results.sorted(), Array(0..<40))
    XCTAssertEqual(counter.most, 2, "never more than two at once (and both slots used)")
    XCTAssertTrue(counter.slotsBusyTwice.isEmpty, "a slot runs one job at a time: \(counter.slotsBusyTwice)")
    XCTAssertEqual(gate.load.running, 0)
    XCTAssertEqual(gate.load.waiting, 0)
  }

  func testTheGateRefusesWhenFullAndAnswersATimeOut() async throws {
    let gate = GenerationGate(slots: 1, maxWaiting: 1)
    let release = DispatchSemaphore(value: 0)
    let first = Task { try await gate.run(timeout: 120) { _ in release.wait() } }
    while gate.load.running < 1 { usleep(1_000) }
    // The one waiting place: this request waits, then times out before it starts.
    let started = Counter()
    let second = Task { try await gate.run(timeout: 0.2) { slot in started.enter(slot) } }
    while gate.load.waiting < 1 { usleep(1_000) }
    do {
      _ = try await gate.run(timeout: 120) { _ in }
      XCTFail("a third request found the slot busy and the waiting line full, and was not refused")
    } catch let refusal as GenerationGate.Refusal {
      XCTAssertEqual(refusal, .busy(running: 1, waiting: 1))
    }
    do {
      _ = try await second.value
      XCTFail("the waiting request did not time out")
    } catch let refusal as GenerationGate.Refusal {
      XCTAssertEqual(refusal, .timedOut(seconds: 0.2))
    }
    release.signal()
    _ = try await first.value
    XCTAssertEqual(started.most, 0, "a request that timed out while waiting never runs")
    let after = try await gate.run(timeout: 120) { slot in slot }
    XCTAssertEqual(after, 0, "the slot is free again")
  }

  func testADrawnPrimerIsResampledToTheModelsDensity() throws {
    // A 300-pixel stroke drawn with 301 points and a dot, for 4 characters at 6 points per character.
    let line = stride(from: 0.0, through: 300, by: 1).flatMap { [$0, 50 + 10 * sin($0 / 20)] }
    let resampled = PrimerFile.resample([line, [400, 60, 400, 60]], points: 24)
    XCTAssertEqual(resampled.count, 2)
    XCTAssertEqual(resampled[0].count / 2, 24, "the stroke gets the points (the dot has no length)")
    XCTAssertEqual(resampled[0][0], 0)
    XCTAssertEqual(resampled[0][46], 300, accuracy: 1e-9, "the last point kept")
    XCTAssertEqual(resampled[1], [400, 60])
    let steps = stride(from: 2, to: resampled[0].count, by: 2).map {
      hypot(resampled[0][$0] - resampled[0][$0 - 2], resampled[0][$0 + 1] - resampled[0][$0 - 1])
    }
    XCTAssertLessThan((steps.max()! - steps.min()!) / steps.max()!, 0.05, "evenly spaced along the stroke")
    let primer = try PrimerFile.primer(drawn: [line], text: "abcd", pointsPerCharacter: 6)
    XCTAssertEqual(primer.offsets.count, 23, "24 points are 23 offsets")
    XCTAssertEqual(primer.text, "abcd")
  }
}

/// Counts jobs running at once, overall and per slot.
private final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var now = 0
  private var perSlot: [Int: Int] = [:]
  private(set) var most = 0
  private(set) var slotsBusyTwice: Set<Int> = []

  func enter(_ slot: Int) {
    lock.withLock {
      now += 1
      most = max(most, now)
      perSlot[slot, default: 0] += 1
      if perSlot[slot]! > 1 { slotsBusyTwice.insert(slot) }
    }
  }

  func leave(_ slot: Int) {
    lock.withLock {
      now -= 1
      perSlot[slot]! -= 1
    }
  }
}

/// An HTTP/1.1 client over a plain socket: the request goes out byte for byte as given.
enum HTTP {
  struct Reply {
    var status: Int
    /// Header names in lower case.
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
  }

  static func post<T: Encodable>(_ path: String, _ value: T, port: Int) async throws -> Reply {
    try await send("POST", path, body: try JSONEncoder().encode(value), port: port)
  }

  static func send(_ method: String, _ path: String, body: Data = Data(), port: Int) async throws -> Reply {
    // On a thread of its own: a blocking socket would hold one of the few threads of Swift's pool.
    try await withCheckedThrowingContinuation { continuation in
      Thread.detachNewThread {
        continuation.resume(with: Result(catching: { try exchange(method, path, body: body, port: port) }))
      }
    }
  }

  private static func exchange(_ method: String, _ path: String, body: Data, port: Int) throws -> Reply {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SketchProcessError("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 120, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw SketchProcessError("connect to port \(port): \(String(cString: strerror(errno)))") }
    var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    if method == "POST" { request += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
    let bytes = Array((request + "\r\n").utf8) + Array(body)
    var sent = 0
    while sent < bytes.count {
      let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if n <= 0 { break }  // the server may answer (413) and close before reading everything
      sent += n
    }
    var reply = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n <= 0 { break }
      reply += buffer[..<n]
    }
    guard let split = reply.indices.first(where: { reply[$0...].starts(with: [13, 10, 13, 10]) }) else {
      throw SketchProcessError("no HTTP answer to \(method) \(path): \(String(decoding: reply, as: UTF8.self))")
    }
    let head = String(decoding: reply[..<split], as: UTF8.self).components(separatedBy: "\r\n")
    let status = Int(head[0].split(separator: " ")[1]) ?? 0
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var payload = Data(reply[(split + 4)...])
    if headers["transfer-encoding"] == "chunked" { payload = dechunk(payload) }
    return Reply(status: status, headers: headers, body: payload)
  }

  /// A chunked body's content.
  private static func dechunk(_ data: Data) -> Data {
    var out = Data()
    var rest = data[...]
    while let lineEnd = rest.firstRange(of: Data([13, 10])),
      let size = Int(String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self), radix: 16), size > 0
    {
      let start = lineEnd.upperBound
      out += rest[start..<start + size]
      rest = rest[(start + size + 2)...]
    }
    return out
  }
}
