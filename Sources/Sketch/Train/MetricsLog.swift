import Codegen
import Foundation

/// The metrics of a run as JSON lines (`metrics.jsonl`), appended as training goes.
final class MetricsLog {
  let path: String
  private var handle: FileHandle?
  /// (step, train cost) every time train metrics are recorded, and (step, test per-sequence NLL).
  private(set) var trainCurve: [(Int, Double)] = []
  private(set) var testCurve: [(Int, Double)] = []

  init(path: String, resume: Bool) throws {
    self.path = path
    if !resume || !FileManager.default.fileExists(atPath: path) {
      FileManager.default.createFile(atPath: path, contents: nil)
    } else {
      for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let step = obj["step"] as? Int
        else { continue }
        if let c = obj["train_cost"] as? Double { trainCurve.append((step, c)) }
        if let c = obj["test_sequence_log_likelihood"] as? Double { testCurve.append((step, c)) }
      }
    }
    handle = FileHandle(forWritingAtPath: path)
    handle?.seekToEndOfFile()
  }

  func record(_ fields: [String: Any]) {
    if let step = fields["step"] as? Int {
      if let c = fields["train_cost"] as? Double { trainCurve.append((step, c)) }
      if let c = fields["test_sequence_log_likelihood"] as? Double { testCurve.append((step, c)) }
    }
    guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
    handle?.write(data + Data("\n".utf8))
  }

  /// A loss-curve image: the train cost (gray) and the test per-sequence NLL (black dots), step on x.
  func lossCurve(width: Int = 640, height: Int = 400) -> PNGImage {
    var img = PNGImage(width: width, height: height)
    let all = (trainCurve + testCurve).filter { $0.1.isFinite }
    guard let maxStep = all.map(\.0).max(), let lo = all.map(\.1).min(), let hi = all.map(\.1).max() else { return img }
    let m = 20.0
    func px(_ s: Int, _ v: Double) -> (x: Double, y: Double) {
      let x = m + Double(s) / Double(Swift.max(maxStep, 1)) * (Double(width) - 2 * m)
      let y = Double(height) - m - (v - lo) / Swift.max(hi - lo, 1e-9) * (Double(height) - 2 * m)
      return (x, y)
    }
    img.drawPolyline([(m, m), (m, Double(height) - m), (Double(width) - m, Double(height) - m)], width: 1)
    let train = trainCurve.filter { $0.1.isFinite }.map { px($0.0, $0.1) }
    if !train.isEmpty { img.drawPolyline(train, width: 1.5, color: PNGImage.Color(gray: 140)) }
    for (s, v) in testCurve where v.isFinite { img.drawPolyline([px(s, v)], width: 5) }
    return img
  }
}
