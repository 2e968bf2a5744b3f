import Foundation
import XCTest

@testable import Codegen

/// Issue 12, finding 3: a compile-cache entry is verified before dlopen (size and SHA-256 recorded in
/// its trailer), checked after (sk_main, the embedded key), never followed through a symbolic link;
/// any bad entry is rebuilt instead of crashing the process.
final class ReliabilityCacheTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-cache-\(UUID().uuidString)")
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func graph(_ k: Double, other: Bool = false) throws -> FunctionGraph {
    let x = input("x", .float32, ["N", 3])
    let y = other ? exp(x * k) - sum(x, axes: [1], keepDims: true) : tanh(x * k) + sum(x, axes: [1], keepDims: true)
    return try FunctionGraph(inputs: [x], outputs: [y])
  }

  /// Builds the entry of `g` (released again, so nothing keeps it mapped) and returns its path.
  func entry(_ g: FunctionGraph, _ cc: CCompiler) throws -> String {
    let program = try NativeProgram(graph: g, compiler: cc)
    XCTAssertFalse(program.cached)
    return program.libraryPath
  }

  func assertRebuiltAndCorrect(_ g: FunctionGraph, _ cc: CCompiler, file: StaticString = #filePath, line: UInt = #line)
    throws
  {
    let rebuilt = try NativeProgram(graph: g, compiler: cc)
    XCTAssertFalse(rebuilt.cached, "the bad entry was used instead of being rebuilt", file: file, line: line)
    XCTAssertTrue(cc.verify(rebuilt.libraryPath), file: file, line: line)
    let x = Tensor(shape: [1, 3], [Float(1), 2, 3])
    XCTAssertEqual(try rebuilt.run(g, arguments: [x]), try Interpreter.run(g, arguments: [x]), file: file, line: line)
    XCTAssertTrue(
      try NativeProgram(graph: g, compiler: cc).cached, "the rebuilt entry is cached", file: file, line: line)
  }

  func testEntriesAreSealedWithTheirSizeAndHash() throws {
    let cc = CCompiler(cacheDirectory: dir)
    let path = try entry(try graph(1.25), cc)
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let body = bytes.count - CCompiler.trailerSize
    XCTAssertEqual(Array(bytes[body..<(body + 8)]), Array("SKCACHE1".utf8))
    XCTAssertEqual(
      bytes[(body + 8)..<(body + 16)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }, body)
    XCTAssertEqual(Array(bytes[(body + 16)...]), SHA256.hash(Array(bytes[..<body])))
    XCTAssertEqual(CCompiler.seal(Array(bytes[..<body])), bytes)
  }

  /// The reproduction: the first 20,000 bytes of a good entry copied over it (SIGBUS in dlopen
  /// before).
  func testTruncatedEntryIsRebuilt() throws {
    let cc = CCompiler(cacheDirectory: dir)
    let g = try graph(2.5)
    let path = try entry(g, cc)
    let good = try Data(contentsOf: URL(fileURLWithPath: path))
    let cut = min(20_000, good.count / 2)
    try good.prefix(cut).write(to: URL(fileURLWithPath: path))
    XCTAssertFalse(cc.verify(path))
    try assertRebuiltAndCorrect(g, cc)
  }

  func testEntryBuiltForAnotherKeyIsRebuilt() throws {
    let cc = CCompiler(cacheDirectory: dir)
    let (g, other) = (try graph(3.5), try graph(4.5, other: true))
    let path = try entry(g, cc)
    let otherPath = try entry(other, cc)
    // A well-sealed library, but of other code: only the embedded key tells them apart.
    try FileManager.default.removeItem(atPath: path)
    try FileManager.default.copyItem(atPath: otherPath, toPath: path)
    XCTAssertTrue(cc.verify(path))
    try assertRebuiltAndCorrect(g, cc)
  }

  func testEntryWithoutEntryPointIsRebuilt() throws {
    let cc = CCompiler(cacheDirectory: dir)
    let g = try graph(5.5)
    let path = try entry(g, cc)
    let key = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    // A library with the right key and seal but no sk_main.
    let c = dir.appendingPathComponent("nomain.c").path
    try CCompiler.keyFunction(key).write(toFile: c, atomically: true, encoding: .utf8)
    let so = dir.appendingPathComponent("nomain.so").path
    let (status, out) = try CCompiler.run(cc.executable, ["-shared", "-fPIC", "-o", so, c])
    XCTAssertEqual(status, 0, out)
    try Data(CCompiler.seal([UInt8](try Data(contentsOf: URL(fileURLWithPath: so))))).write(
      to: URL(fileURLWithPath: path))
    XCTAssertTrue(cc.verify(path))
    try assertRebuiltAndCorrect(g, cc)
  }

  func testSymbolicLinkInTheCacheIsNotFollowed() throws {
    let cc = CCompiler(cacheDirectory: dir)
    let g = try graph(6.5)
    let path = try entry(g, cc)
    let elsewhere = dir.appendingPathComponent("elsewhere.so").path
    try FileManager.default.moveItem(atPath: path, toPath: elsewhere)
    try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: elsewhere)
    XCTAssertFalse(cc.verify(path), "a link to a good entry is still refused")
    try assertRebuiltAndCorrect(g, cc)
    var info = stat()
    XCTAssertEqual(lstat(path, &info), 0)
    XCTAssertEqual(info.st_mode & S_IFMT, S_IFREG, "the link was replaced by a regular entry")
    XCTAssertTrue(cc.verify(elsewhere), "the link's target is untouched")
  }

  func testCacheFolderThatIsALinkIsRefused() throws {
    let real = dir.appendingPathComponent("real")
    try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
    chmod(real.path, 0o700)
    let link = dir.appendingPathComponent("link")
    try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
    XCTAssertThrowsError(try CCompiler(cacheDirectory: link).ensureCache()) {
      XCTAssertTrue("\($0)".contains("refusing the compile cache \(link.path): it is not a folder"), "\($0)")
    }
  }

  func testRelativeXDGCacheHomeIsIgnored() {
    let home = "/home/someone"
    XCTAssertEqual(
      CCompiler.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "relative/cache"], home: home).path,
      "/home/someone/.cache/sketch")
    XCTAssertEqual(
      CCompiler.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": ""], home: home).path,
      "/home/someone/.cache/sketch")
    XCTAssertEqual(
      CCompiler.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "/var/cache/me"], home: home).path,
      "/var/cache/me/sketch")
  }
}
