import Codegen
import SketchFiles

/// Draws lines of strokes into a PNG image, one line under the other, at one common scale.
enum StrokeRenderer {
  /// `lines`: each a list of strokes, each interleaved x, y (any units, y downward).
  static func render(_ lines: [[[Double]]], width: Int = 1600, margin: Int = 24, pen: Double = 1.7) -> PNGImage {
    struct Box {
      var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
      var width: Double { max(maxX - minX, 1e-9) }
      var height: Double { max(maxY - minY, 1e-9) }
    }
    let boxes: [Box] = lines.map { strokes in
      var box = Box()
      for stroke in strokes {
        for k in stride(from: 0, to: stroke.count, by: 2) {
          box.minX = min(box.minX, stroke[k])
          box.maxX = max(box.maxX, stroke[k])
          box.minY = min(box.minY, stroke[k + 1])
          box.maxY = max(box.maxY, stroke[k + 1])
        }
      }
      // A line whose extent is not finite (huge offsets times a huge std) is drawn as an empty box.
      return box.minX.isFinite && box.width.isFinite && box.height.isFinite
        ? box : Box(minX: 0, maxX: 1, minY: 0, maxY: 1)
    }
    let usable = Double(width - 2 * margin)
    var scale = boxes.map { usable / $0.width }.min() ?? 1
    if let tallest = boxes.map(\.height).max(), tallest * scale > 220 { scale = 220 / tallest }
    if !(scale.isFinite && scale > 0) { scale = 1 }
    let heights = boxes.map { Int(min(($0.height * scale).rounded(.up), 220)) + margin }
    let total = max(1, heights.reduce(margin, +))
    var image = PNGImage(width: width, height: total)
    var top = Double(margin)
    for (line, box) in zip(lines, boxes) {
      for stroke in line {
        let points = stride(from: 0, to: stroke.count, by: 2).map { k in
          (x: Double(margin) + (stroke[k] - box.minX) * scale, y: top + (stroke[k + 1] - box.minY) * scale)
        }
        image.drawPolyline(points, width: pen)
      }
      top += box.height * scale + Double(margin)
    }
    return image
  }
}

/// Summary statistics of stroke lines (rows in Sketch's convention).
struct StrokeStatistics {
  var lines = 0
  var rows: (min: Int, median: Int, max: Int, mean: Double) = (0, 0, 0, 0)
  var characters: (min: Int, median: Int, max: Int, mean: Double)? = nil
  var rowsPerCharacter: Double? = nil
  var strokesPerLine = 0.0
  var penUpFraction = 0.0
  var mean = (0.0, 0.0)
  var std = (0.0, 0.0)
  /// The largest |dx| and |dy| in units of their standard deviation.
  var largest = (0.0, 0.0)

  init(rows lines: [[Float]], texts: [String]? = nil) {
    self.lines = lines.count
    guard !lines.isEmpty else { return }
    let counts = lines.map { $0.count / 3 }
    rows = StrokeStatistics.summary(counts)
    var sum = (0.0, 0.0)
    var squares = (0.0, 0.0)
    var pens = 0.0
    var total = 0.0
    var extreme = (0.0, 0.0)
    for line in lines {
      for k in 0..<(line.count / 3) {
        let dx = Double(line[3 * k])
        let dy = Double(line[3 * k + 1])
        sum.0 += dx
        sum.1 += dy
        squares.0 += dx * dx
        squares.1 += dy * dy
        pens += Double(line[3 * k + 2])
        extreme = (max(extreme.0, abs(dx)), max(extreme.1, abs(dy)))
        total += 1
      }
    }
    if total > 0 {
      mean = (sum.0 / total, sum.1 / total)
      std = ((squares.0 / total - mean.0 * mean.0).squareRoot(), (squares.1 / total - mean.1 * mean.1).squareRoot())
      penUpFraction = pens / total
      strokesPerLine = pens / Double(lines.count)
      largest = (extreme.0 / max(std.0, 1e-12), extreme.1 / max(std.1, 1e-12))
    }
    if let texts, texts.count == lines.count, texts.contains(where: { !$0.isEmpty }) {
      let chars = texts.map(\.count)
      characters = StrokeStatistics.summary(chars)
      rowsPerCharacter = Double(counts.reduce(0, +)) / Double(max(1, chars.reduce(0, +)))
    }
  }

  static func summary(_ values: [Int]) -> (min: Int, median: Int, max: Int, mean: Double) {
    let sorted = values.sorted()
    return (sorted.first!, sorted[sorted.count / 2], sorted.last!, Double(sorted.reduce(0, +)) / Double(sorted.count))
  }
}
