import ArgumentParser
import Dispatch
import Foundation

/// `sketch serve`: the writing tool as a local web page.
struct Serve: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Serve a local web page that writes text as handwriting with a synthesis model.",
    discussion: """
      Open the address it prints in a browser: type text, pick a style (or write a line of your own \
      on the page's canvas and use it as the style), set the bias and stroke width, watch the line \
      being written, download it as SVG, PNG or G-code, and save your drawn line as a style file for \
      `sketch write --prime FILE.svg`. Binds to 127.0.0.1 (this machine only) unless --host says \
      otherwise. Ctrl-C stops it. Endpoints and limits: docs/writing.md.
      """)

  @Option(help: "The experiment folder or model file of a synthesis model.") var model = "models/writer"
  @Option(help: "The address to listen on (0.0.0.0: every interface, reachable from other machines).")
  var host = "127.0.0.1"
  @Option(help: "The port to listen on (0: any free port, printed).") var port = 8080
  @Option(help: "Generations running at once (each has its own compiled writer).") var maxConcurrent = 1
  @Option(help: "Requests waiting for a generation before more are refused (HTTP 429).") var maxWaiting = 4
  @Option(help: "Seconds a writing request may take, waiting included (then HTTP 503).") var timeout = 60.0
  @Option(help: "Lines of writing per request.") var maxLines = ServeLimits().maxLines
  @Option(help: "Characters per line of writing.") var maxCharacters = ServeLimits().maxCharactersPerLine
  /// The plotter's settings for G-code downloads (as `sketch write --format gcode` takes them).
  @OptionGroup var gcode: GCodeFlags

  func validate() throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535, got \(port)") }
    guard (1...16).contains(maxConcurrent) else {
      throw ValidationError("--max-concurrent must be 1 to 16, got \(maxConcurrent)")
    }
    guard (0...1000).contains(maxWaiting) else { throw ValidationError("--max-waiting must be 0 to 1000, got \(maxWaiting)") }
    try FlagCheck.finite(timeout, "--timeout", 0...3600, aboveLower: true, "seconds")
    guard (1...100).contains(maxLines) else { throw ValidationError("--max-lines must be 1 to 100, got \(maxLines)") }
    guard (1...500).contains(maxCharacters) else {
      throw ValidationError("--max-characters must be 1 to 500, got \(maxCharacters)")
    }
    guard !host.isEmpty else { throw ValidationError("--host is empty; give 127.0.0.1 (this machine only)") }
  }

  var limits: ServeLimits {
    var limits = ServeLimits()
    limits.maxConcurrent = maxConcurrent
    limits.maxWaiting = maxWaiting
    limits.maxSeconds = timeout
    limits.maxLines = maxLines
    limits.maxCharactersPerLine = maxCharacters
    return limits
  }

  func run() throws {
    let loaded = try WritingModel(path: model)
    let service = try WritingService(model: loaded, limits: limits, gcode: gcode.writer)
    let server = PageServer(service: service, host: host, port: port)
    let loopback = ["127.0.0.1", "localhost", "::1"].contains(host)
    let (host, model) = (self.host, self.model)
    let styles = service.styles.samples.map(\.name)
    try Self.block(failure: { "cannot serve on \(host):\(port): \($0); give another --port (0 picks a free one)" }) {
      try await server.run { bound in
        let shown = host.contains(":") ? "[\(host)]" : host
        print(
          "sketch serve: writing with \(model)"
            + (styles.isEmpty ? "" : " (styles: \(styles.joined(separator: ", ")))")
            + " at http://\(shown):\(bound)/ (Ctrl-C stops)")
        if !loopback {
          print("warning: listening on \(host): anyone who can reach this machine on port \(bound) can use the page")
        }
        fflush(nil)
      }
    }
    print("sketch serve: stopped")
  }

  /// Runs `body` to its end on the concurrency runtime's threads while this (synchronous) command waits.
  /// An error of the server is reported as `failure(error)`.
  static func block(failure: (any Error) -> String, _ body: @escaping @Sendable () async throws -> Void) throws {
    final class Outcome: @unchecked Sendable { var error: (any Error)? }
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
      do { try await body() } catch { outcome.error = error }
      done.signal()
    }
    done.wait()
    if let error = outcome.error {
      throw WriteError(failure(error))
    }
  }
}
