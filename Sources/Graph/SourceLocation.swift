import Foundation

/// Where a symbolic variable was created in the user's code.
///
/// Functions record their caller's `#fileID` and `#line`. Operators (`+`, `*`...) cannot take default
/// arguments in Swift, so a node made by an operator records the innermost
/// ``withSourceLocation(file:line:_:)`` (or composite, scan step or gradient rule) scope, and outside any
/// scope a few return addresses of the call stack, which are turned into file:line (with `addr2line` and
/// the binary's debug info) only when a message needs them.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
  /// The file, as `#fileID` spells it (`Module/File.swift`); `?` when unknown.
  public var file: String
  /// The line (1-based); 0 when unknown.
  public var line: Int
  /// Return addresses of the operator's call stack (empty when file and line are known).
  public var frames: [UInt] = []

  /// The location of a caller's `#fileID` and `#line`.
  public init(file: StaticString, line: UInt) {
    self.file = "\(file)"
    self.line = Int(line)
  }

  /// The location `fileName:line`.
  init(fileName: String, line: Int) {
    self.file = fileName
    self.line = line
  }

  /// No known location: file `?`, line 0, no call stack.
  public static let unknown = SourceLocation(fileName: "?", line: 0)

  /// The call stack of the code running now, for a node made by an operator outside any scope.
  static func callStack() -> SourceLocation {
    var l = SourceLocation.unknown
    l.frames = Array(Thread.callStackReturnAddresses.prefix(12).map { $0.uintValue })
    return l
  }

  /// True when the file and line are known without symbolizing.
  public var isKnown: Bool { line > 0 }

  /// The file and line, symbolizing the recorded call stack if needed.
  public var resolved: (file: String, line: Int)? {
    if line > 0 { return (file, line) }
    return frames.isEmpty ? nil : Symbolizer.shared.callSite(frames)
  }

  /// `file:line` (symbolizing the call stack if needed), or `(operator; no call site)` when unknown.
  public var description: String {
    if let r = resolved { return "\(r.file):\(r.line)" }
    return "(operator; no call site)"
  }
}

/// Turns return addresses into source lines with `addr2line` (binutils) and the binary's DWARF debug
/// information; used only to print errors. Without debug information (a stripped release build) it
/// finds nothing and the location stays unknown.
final class Symbolizer: @unchecked Sendable {
  static let shared = Symbolizer()
  private let lock = NSLock()
  private var cache: [UInt: [(String, Int)]] = [:]
  private lazy var maps: [(start: UInt, end: UInt, base: UInt, path: String)] = Symbolizer.readMaps()

  /// The first frame whose source is outside Sketch's own graph-building code.
  func callSite(_ frames: [UInt]) -> (file: String, line: Int)? {
    lock.lock()
    defer { lock.unlock() }
    for f in frames {
      for (file, line) in lines(f) where line > 0 && !Symbolizer.isLibrary(file) {
        let parts = file.split(separator: "/")
        return (parts.suffix(2).joined(separator: "/"), line)
      }
    }
    return nil
  }

  static func isLibrary(_ file: String) -> Bool {
    file.contains("/Sources/Graph/") || file.contains("/Sources/Runtime/") || file.hasPrefix("/opt/swift")
      || file.contains("swift-corelibs") || file.contains("<compiler-generated>")
  }

  private func lines(_ address: UInt) -> [(String, Int)] {
    if let c = cache[address] { return c }
    var result: [(String, Int)] = []
    if let m = maps.first(where: { address >= $0.start && address < $0.end }) {
      let offset = address - 1 - m.base
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/addr2line")
      p.arguments = ["-e", m.path, "-i", String(offset, radix: 16)]
      let pipe = Pipe()
      p.standardOutput = pipe
      p.standardError = FileHandle.nullDevice
      if (try? p.run()) != nil {
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        for text in String(decoding: data, as: UTF8.self).split(separator: "\n") {
          let clean = text.split(separator: " ").first.map(String.init) ?? ""
          guard let colon = clean.lastIndex(of: ":"), let n = Int(clean[clean.index(after: colon)...]) else { continue }
          result.append((String(clean[..<colon]), n))
        }
      }
    }
    cache[address] = result
    return result
  }

  /// Executable mappings of /proc/self/maps, with each file's load base (its mapping at offset 0).
  static func readMaps() -> [(start: UInt, end: UInt, base: UInt, path: String)] {
    guard let text = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return [] }
    var bases: [String: UInt] = [:]
    var exec: [(UInt, UInt, String)] = []
    for line in text.split(separator: "\n") {
      let f = line.split(separator: " ", omittingEmptySubsequences: true)
      guard f.count >= 6, f[5].hasPrefix("/") else { continue }
      let range = f[0].split(separator: "-")
      guard range.count == 2, let s = UInt(range[0], radix: 16), let e = UInt(range[1], radix: 16),
        let off = UInt(f[2], radix: 16)
      else { continue }
      let path = String(f[5])
      if off == 0 && bases[path] == nil { bases[path] = s }
      if f[1].contains("x") { exec.append((s, e, path)) }
    }
    return exec.compactMap { s, e, p in bases[p].map { (s, e, $0, p) } }
  }
}
