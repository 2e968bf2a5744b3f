import Foundation

/// A file or folder given to an importer, unpacked to a folder when it is an archive.
struct ImportInput {
  /// The folder to walk.
  let root: String
  /// Keeps an unpacked archive alive (removed when the input is dropped).
  private let unpacked: TemporaryFolder?

  /// Resolves `path`: a folder is used as it is, an archive (.tar, .tar.gz, .tgz) is unpacked.
  init(_ path: String, what: String) throws {
    let kind = fileKind(path)
    guard kind.exists else { throw DataError(path, "no such file or folder", hint: "give \(what)") }
    if kind.isDirectory {
      root = path
      unpacked = nil
    } else if Archive.isArchive(path) {
      try requireInputFile(path)
      let folder = try Archive.extract(path)
      root = folder.path
      unpacked = folder
    } else {
      throw DataError(path, "is neither a folder nor a .tar/.tar.gz/.tgz archive", hint: "give \(what)")
    }
  }
}

/// What an import did: lines written and files skipped, with reasons.
struct ImportSummary {
  var files = 0
  var written = 0
  var train = 0
  var test = 0
  var std = (0.0, 0.0)
  var paddedLength = 0
  /// Files that could not be used, with the reason (malformed, missing attributes, empty, ...).
  var skipped: [(path: String, reason: String)] = []
  /// Lines dropped for having more rows than `max_points`.
  var tooLong = 0
  /// Lines with fewer than two points.
  var tooShort = 0
  /// Lines for which no transcription was found (only counted when transcriptions were given).
  var untranscribed = 0

  /// The closing lines printed by the commands.
  func report(output: String, kind: String) -> String {
    var lines = [
      "wrote \(output): \(written) \(kind) (\(train) train, \(test) test), "
        + "padded to \(paddedLength) rows, std dx \(format(std.0)) dy \(format(std.1))"
    ]
    if kind == "generated lines" {
      lines.append("generated \(files) lines; replaced \(tooLong) with more rows than --max-points")
    } else {
      lines.append(
        "read \(files) files; skipped \(skipped.count) unusable, \(tooLong) too long, \(tooShort) too short"
          + (untranscribed > 0 ? "; \(untranscribed) without transcription" : ""))
    }
    return lines.joined(separator: "\n")
  }

  private func format(_ x: Double) -> String { String(format: "%.4g", x) }
}

/// Runs `body` on every element of `items` on all cores, keeping results in order. `body` must be safe
/// to call from several threads at once.
func parallelMap<T, R>(_ items: [T], _ body: (T) -> R) -> [R] {
  var results = [R?](repeating: nil, count: items.count)
  results.withUnsafeMutableBufferPointer { buffer in
    nonisolated(unsafe) let output = buffer
    nonisolated(unsafe) let input = items
    withoutActuallyEscaping(body) { body in
      nonisolated(unsafe) let work = body
      DispatchQueue.concurrentPerform(iterations: input.count) { i in output[i] = work(input[i]) }
    }
  }
  return results.map { $0! }
}
