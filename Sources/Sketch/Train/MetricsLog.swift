import Codegen
import Foundation
import SketchFiles

/// The metrics of a run as JSON lines (`metrics.jsonl`), appended as training goes.
///
/// Each record is one `write` of a whole line to a file opened for appending; a write that fails
/// (a full disk) is cut back to the last whole line and reported. Resuming keeps the whole records up
/// to the step of the model being continued (the later ones are recomputed), which also drops a
/// partial last line left by a kill.
final class MetricsLog {
  let path: String
  private let fd: Int32
  /// (step, train cost) every time train metrics are recorded, and (step, test per-sequence NLL).
  private(set) var trainCurve: [(Int, Double)] = []
  private(set) var testCurve: [(Int, Double)] = []
  /// How many lines resuming dropped: records after the resumed step, and a partial last line.
  private(set) var droppedOnResume = 0

  /// A new, empty log at `path`, or with `resumeAt`, the existing one kept up to that step.
  init(path: String, resumeAt step: Int? = nil) throws {
    self.path = path
    if let step, FileManager.default.fileExists(atPath: path) {
      try Self.keepRecords(upTo: step, in: path, into: &trainCurve, &testCurve, dropped: &droppedOnResume)
    }
    let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (step == nil ? O_TRUNC : 0)
    fd = open(path, flags, 0o644)
    guard fd >= 0 else { throw MetricsLogError(path: path, reason: String(cString: strerror(errno))) }
  }

  deinit { close(fd) }

  /// Appends one record as a line (a NaN or infinite number becomes null, which JSON can hold); on
  /// failure the file is cut back to its last whole line.
  func record(_ fields: [String: Any]) throws {
    let json = fields.mapValues { v -> Any in ((v as? Double).map { !$0.isFinite } ?? false) ? NSNull() : v }
    var data: Data
    do {
      data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
      data.append(UInt8(ascii: "\n"))
    } catch {
      throw MetricsLogError(path: path, reason: "a record is not valid JSON (\(error))")
    }
    let start = lseek(fd, 0, SEEK_END)
    var written = 0
    while written < data.count {
      let n = data.withUnsafeBytes { write(fd, $0.baseAddress! + written, data.count - written) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        let reason = n < 0 ? String(cString: strerror(errno)) : "nothing written"
        if start >= 0 { _ = ftruncate(fd, start) }
        throw MetricsLogError(path: path, reason: reason)
      }
      written += n
    }
    if let step = fields["step"] as? Int {
      if let c = fields["train_cost"] as? Double { trainCurve.append((step, c)) }
      if let c = fields["test_sequence_log_likelihood"] as? Double { testCurve.append((step, c)) }
    }
  }

  /// The whole JSON records with `step` <= `step`, rewritten atomically when anything is dropped.
  private static func keepRecords(
    upTo step: Int, in path: String, into train: inout [(Int, Double)], _ test: inout [(Int, Double)],
    dropped: inout Int
  ) throws {
    let bytes: Data
    do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw MetricsLogError(path: path, reason: "cannot read it to resume (\(error.localizedDescription))")
    }
    var kept = Data()
    var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    if lines.last?.isEmpty == true {
      lines.removeLast()
    } else if !lines.isEmpty {
      dropped += 1
      lines.removeLast()
    }
    for line in lines {
      guard let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
        let s = obj["step"] as? Int, s <= step
      else {
        dropped += 1
        continue
      }
      if let c = obj["train_cost"] as? Double { train.append((s, c)) }
      if let c = obj["test_sequence_log_likelihood"] as? Double { test.append((s, c)) }
      kept.append(line)
      kept.append(UInt8(ascii: "\n"))
    }
    if dropped > 0 {
      do { try AtomicFile.write(data: Array(kept), to: path) } catch {
        throw MetricsLogError(path: path, reason: "cannot rewrite it to resume (\(error))")
      }
    }
  }

  /// The loss plot (loss.png, loss.svg): the train cost (a gray line, every recorded batch) and the test
  /// per-sequence NLL (black dots) in nats per sequence against the batch, with axes, ticks, labels and
  /// a legend; the y axis is logarithmic when every value is positive and they span two decades or more.
  func lossCurve(width: Int = 640, height: Int = 400) -> PlotCanvas {
    var canvas = PlotCanvas(width: width, height: height)
    let train = trainCurve.filter { $0.1.isFinite }
    let test = testCurve.filter { $0.1.isFinite }
    let values = (train + test).map(\.1)
    let lastStep = (train + test).map(\.0).max() ?? 0
    let frame = PlotFrame(
      left: 84, top: 34, right: Double(width) - 16, bottom: Double(height) - 52,
      x: .linear(0, Double(Swift.max(lastStep, 1)), label: "batch", minimumStep: 1),
      y: .fitting(values.isEmpty ? [0, 1] : values, label: "NLL per sequence (nats)"))
    canvas.axes(frame, title: "loss: train cost and test NLL")
    if train.count > 0 {
      canvas.add(.polyline(train.map { frame.point(Double($0.0), $0.1) }, width: 1.5, gray: 140))
    }
    for (s, v) in test { canvas.add(.dot(frame.point(Double(s), v), radius: 2.5, gray: 0)) }
    canvas.legend(
      [("train cost", .line(width: 1.5, gray: 140)), ("test NLL", .dot(radius: 2.5, gray: 0))],
      topRight: (frame.right - 8, frame.top + 8))
    return canvas
  }
}

/// A metrics.jsonl that cannot be written or read back.
struct MetricsLogError: Error, CustomStringConvertible {
  let path: String
  let reason: String
  var description: String { "cannot write the metrics \(path): \(reason)" }
}
