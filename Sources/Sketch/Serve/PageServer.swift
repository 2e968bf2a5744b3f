import CSketchPage
import Foundation
import Hummingbird
import Logging

/// The HTTP side of `sketch serve` (Hummingbird): the page's files from the table built into the
/// executable, the JSON API over a ``WritingService``, and every error as a JSON answer with its status.
///
/// Endpoints (docs/writing.md): `GET /` (the page), `GET /app.js`, `GET /style.css`, `GET /api/model`,
/// `POST /api/write`, `POST /api/export`, `POST /api/style`.
struct PageServer: Sendable {
  let service: WritingService
  let host: String
  let port: Int
  /// The server's own log (to standard output): warnings and errors by default.
  var logLevel = Logger.Level.warning

  /// The router of the page and the API.
  func router() -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: JSONErrorMiddleware())
    router.add(middleware: SafetyHeadersMiddleware())
    for file in PageFiles.all {
      let route = file.name == "index.html" ? "/" : "/" + file.name
      router.get(RouterPath(stringLiteral: route)) { _, _ in file.response() }
    }
    let service = self.service
    let limit = service.limits.maxBodyBytes
    router.get("/api/model") { _, _ in try JSONBody.response(service.info) }
    router.post("/api/write") { request, _ in
      let body: WriteRequest = try await JSONBody.decode(request, limit: limit)
      return try JSONBody.response(try await service.write(body))
    }
    router.post("/api/export") { request, _ in
      let body: ExportRequest = try await JSONBody.decode(request, limit: limit)
      let file = try service.export(body)
      return Response(
        status: .ok,
        headers: [.contentType: file.type, .contentDisposition: "attachment; filename=\"\(file.name)\""],
        body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
    router.post("/api/style") { request, _ in
      let body: StyleRequest = try await JSONBody.decode(request, limit: limit)
      let svg = try service.styleFile(body)
      return Response(
        status: .ok,
        headers: [.contentType: "image/svg+xml", .contentDisposition: "attachment; filename=\"my-handwriting.svg\""],
        body: .init(byteBuffer: ByteBuffer(string: svg)))
    }
    for path in ["/api/write", "/api/export", "/api/style"] {
      router.get(RouterPath(stringLiteral: path)) { _, _ -> Response in
        throw ServeError(405, "\(path) takes a POST with a JSON body (see GET /api/model for the limits)")
      }
    }
    return router
  }

  /// Serves until SIGINT or SIGTERM (or the task is cancelled); `ready` is called with the port
  /// listened on once the server accepts connections.
  func run(ready: @escaping @Sendable (Int) -> Void) async throws {
    var logger = Logger(label: "sketch.serve")
    logger.logLevel = logLevel
    let app = Application(
      router: router(),
      configuration: .init(address: .hostname(host, port: port), serverName: "sketch"),
      onServerRunning: { channel in ready(channel.localAddress?.port ?? port) },
      logger: logger)
    try await app.runService()
  }
}

/// The page's files, from the table `CSketchPage` embeds at build time.
enum PageFiles {
  struct File: Sendable {
    let name: String
    let type: String
    let bytes: [UInt8]

    func response() -> Response {
      Response(
        status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
  }

  static let all: [File] = (0..<sketch_page_count()).map { k in
    let f = sketch_page_at(k)!.pointee
    return File(
      name: String(cString: f.name), type: String(cString: f.type),
      bytes: Array(UnsafeBufferPointer(start: f.bytes, count: f.size)))
  }
}

/// JSON request and response bodies.
enum JSONBody {
  /// The request's body (at most `limit` bytes) decoded as `T`; a body that is not that JSON is a 400
  /// that says where it went wrong.
  static func decode<T: Decodable>(_ request: Request, limit: Int) async throws -> T {
    let buffer: ByteBuffer
    do { buffer = try await request.body.collect(upTo: limit) } catch let error as any HTTPResponseError
      where error.status == .contentTooLarge
    {
      throw ServeError(413, "the request body is larger than \(limit) bytes")
    }
    do {
      return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
    } catch let error as DecodingError {
      throw ServeError(400, "the request body is not the JSON expected: " + describe(error))
    }
  }

  /// A 200 response with `value` as JSON.
  static func response<T: Encodable>(_ value: T) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Response(
      status: .ok, headers: [.contentType: "application/json"],
      body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
  }

  /// An error response: `{"error": {"status": N, "message": "..."}}`.
  static func error(_ status: Int, _ message: String) -> Response {
    struct Body: Encodable {
      struct Inner: Encodable {
        var status: Int
        var message: String
      }
      var error: Inner
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(Body(error: .init(status: status, message: message)))) ?? Data()
    return Response(
      status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
      body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  /// A decoding error in words: what was wrong and at which key.
  static func describe(_ error: DecodingError) -> String {
    func path(_ keys: [any CodingKey]) -> String {
      keys.isEmpty ? "the top level" : "\"" + keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + "\""
    }
    switch error {
    case .keyNotFound(let key, let context): return "\"\(key.stringValue)\" is missing at \(path(context.codingPath))"
    case .typeMismatch(let type, let context): return "\(path(context.codingPath)) should be \(type)"
    case .valueNotFound(let type, let context): return "\(path(context.codingPath)) should be \(type), not null"
    case .dataCorrupted(let context):
      return context.codingPath.isEmpty ? "it is not valid JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
    @unknown default: return "\(error)"
    }
  }
}

/// Turns every error of a handler into a JSON answer with its status; nothing a request sends can
/// take the server down.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    do {
      return try await next(request, context)
    } catch let error as ServeError {
      return JSONBody.error(error.status, error.description)
    } catch let error as WriteError {
      return JSONBody.error(400, error.description)
    } catch let error as HTTPError where error.status == .notFound {
      return JSONBody.error(404, "no such page: \(request.method) \(request.uri.path); the page is at /")
    } catch let error as HTTPError {
      return JSONBody.error(error.status.code, error.body ?? error.status.reasonPhrase)
    } catch let error as any HTTPResponseError {
      return JSONBody.error(error.status.code, error.status.reasonPhrase)
    } catch {
      context.logger.error("\(request.method) \(request.uri.path): \(error)")
      return JSONBody.error(500, "internal error: \(error)")
    }
  }
}

/// Headers that keep the page to itself: nothing loaded from elsewhere, no sniffing, no framing.
struct SafetyHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    var response = try await next(request, context)
    response.headers[.contentSecurityPolicy] =
      "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    response.headers[.xContentTypeOptions] = "nosniff"
    return response
  }
}
